"""Built-in word lists and the skewed samplers that draw from them.

Real data is rarely uniform: a few values (GET, the home page, the biggest customer) account
for most records. ``Zipf`` and ``Weighted`` draw indexes with that skew from one
``random.Random``; the lists are ordered most common first, so rank 1 is the first item.

Only ``rng.random()`` and ``rng.getrandbits()`` are used throughout the generator: their
output for a given seed is fixed across Python versions and machines, unlike conveniences
whose algorithms have changed between releases.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Ordered roughly by how common each is, because Zipf draws favour the front.
WORDS: tuple[str, ...] = _split(
    """
    time year people way day man thing woman life child world school state family student
    group country problem hand part place case week company system program question work
    government number night point home water room mother area money story fact month lot
    right study book eye job word business issue side kind head house service friend father
    power hour game line end member law car city community name president team minute idea
    kid body information back parent face others level office door health person art war
    history party result change morning reason research girl guy moment air teacher force
    education foot boy age policy music market sense nation plan college interest death
    experience effect class control care field development role effort rate heart drug show
    leader light voice wife police mind price report decision son view relationship town road
    arm difference value building action model season society tax director position player
    record paper space ground form event official matter center couple site project activity
    star table need court oil situation cost industry figure street image phone data picture
    practice piece land product doctor wall patient worker news test movie north love support
    technology step baby computer type attention film tree source organization hair window
    evidence population valley river stone garden cloud silver maple cedar harbor meadow canyon
    summit falcon orbit pixel signal vector kernel socket buffer cache packet widget gadget
    """
)

FIRST_NAMES: tuple[str, ...] = _split(
    """
    James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen Maria José Wei Fatima Mohammed
    Aisha Hiroshi Yuki Olga Ivan Sofia Lucas Emma Noah Olivia Liam Ava Mateo Camila Zoë
    Søren Ingrid Björn Chloé François Anaïs Lars Priya Arjun Ananya Kwame Amara Chen Mei
    Diego Lucía Pedro Ana Giulia Marco Nikolai Elena Tomasz Zofia Omar Layla Kenji Hana
    """
)

LAST_NAMES: tuple[str, ...] = _split(
    """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White
    Müller Schmidt Schneider Fischer Weber Rossi Russo Ferrari Dubois Lefèvre Moreau Nowak
    Kowalski Wiśniewski Ivanov Petrov Kim Park Choi Nguyen Tran Wang Li Zhang Liu Chen Sato
    Suzuki Takahashi Tanaka Singh Kumar Patel Sharma Okafor Mensah Silva Santos Oliveira
    Andersson Johansson Nielsen Hansen Jensen O'Brien Murphy Kelly Novák Horváth Y\u0131lmaz
    """
)

CITIES: tuple[str, ...] = (
    "London", "New York", "Paris", "Berlin", "Tokyo", "São Paulo", "Mumbai", "Toronto",
    "Madrid", "Chicago", "Amsterdam", "Sydney", "Zürich", "Singapore", "Seoul", "Mexico City",
    "Los Angeles", "Milan", "Stockholm", "Dublin", "Vienna", "Warsaw", "Kraków", "Lisbon",
    "Barcelona", "Munich", "Osaka", "Bengaluru", "Lagos", "Nairobi", "Cairo", "Istanbul",
    "Buenos Aires", "Bogotá", "Lima", "Santiago", "Montréal", "Vancouver", "Seattle", "Austin",
    "Boston", "Denver", "Miami", "Atlanta", "Copenhagen", "Oslo", "Helsinki", "Prague",
    "Budapest", "Athens", "Rome", "Hamburg", "Lyon", "Brussels", "Rotterdam", "Geneva",
    "Reykjavík", "Tallinn", "Shanghai", "Shenzhen", "Hong Kong", "Taipei", "Bangkok",
    "Jakarta", "Manila", "Hanoi", "Auckland", "Melbourne", "Cape Town", "Johannesburg",
)  # fmt: skip

# ISO 3166-1 alpha-2, most common first.
COUNTRIES: tuple[str, ...] = _split(
    """
    US DE GB FR JP IN BR CA ES IT NL AU CH SE PL MX KR CN IE AT BE DK NO FI PT CZ HU GR RO
    TR AR CO CL PE ZA NG KE EG SG NZ IL AE SA TH VN ID PH MY IS EE
    """
)

TLDS: tuple[str, ...] = ("com", "net", "org", "io", "de", "co.uk", "dev", "app", "fr", "jp")
MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.com", "example.com", "icloud.com", "proton.me",
    "web.de", "gmx.net", "mail.ru", "fastmail.com", "hey.com", "corp.example.org",
)  # fmt: skip
HOST_PREFIXES: tuple[str, ...] = (
    "www", "api", "cdn", "static", "app", "mail", "auth", "img", "m", "shop", "docs", "edge",
)  # fmt: skip

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

PATH_ROOTS: tuple[str, ...] = (
    "api", "static", "products", "users", "search", "cart", "blog", "docs", "assets",
    "account", "orders", "images", "login", "help", "v1", "v2",
)  # fmt: skip
PATH_EXTENSIONS: tuple[str, ...] = (".html", ".json", ".png", ".js", ".css", ".jpg", ".svg", ".pdf")

USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{minor} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{minor} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{minor} Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel {minor}) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{major}.0) Gecko/20100101 Firefox/{major}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.{build}.{patch} Safari/537.36 Edg/{major}.0.{build}.{patch}",
    "curl/8.{minor}.0",
    "python-requests/2.{major}.{patch}",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Go-http-client/1.1",
)

STREET_TYPES: tuple[str, ...] = ("Street", "Avenue", "Road", "Lane", "Way", "Drive", "Place")

# Keys of label and attribute maps (map<string, ...> with no other hint).
LABELS: tuple[str, ...] = _split(
    """
    env region team source version tier owner color size material priority campaign batch
    zone lang channel origin build release segment
    """
)

SKU_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as digits


def normal(rng: random.Random) -> float:
    """A standard normal draw (Irwin-Hall: twelve uniforms), pure arithmetic.

    Unlike ``gauss`` it calls no libm function, so the bits are the same on every machine,
    and its tails stop at 6 sigma, which keeps clamped ranges free of absurd outliers.
    """
    r = rng.random
    return (r() + r() + r() + r() + r() + r() + r() + r() + r() + r() + r() + r()) - 6.0


def below(rng: random.Random, n: int) -> int:
    """An integer in [0, n), uniform, exact even for 64-bit ranges."""
    if n <= 1:
        return 0
    k = n.bit_length()
    while True:  # rejection keeps it unbiased; at most two rounds expected
        v = rng.getrandbits(k)
        if v < n:
            return v


class Weighted:
    """Draw indexes 0..n-1 with the given weights (cumulative table + bisection)."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]
        self.last = len(self.cumulative) - 1

    def index(self, rng: random.Random) -> int:
        i = bisect_right(self.cumulative, rng.random() * self.total)
        return i if i <= self.last else self.last


class Zipf(Weighted):
    """Rank k (from 0) drawn with weight 1 / (k+1)**s; s = 0 is uniform."""

    def __init__(self, n: int, s: float) -> None:
        super().__init__([1.0 / (k**s) for k in range(1, n + 1)])


class Picker:
    """A value from a sequence, Zipf-skewed towards its front."""

    def __init__(self, values: Sequence[str], s: float = 1.1) -> None:
        self.values = tuple(values)
        self.zipf = Zipf(len(self.values), s)

    def __call__(self, rng: random.Random) -> str:
        return self.values[self.zipf.index(rng)]


def zipf_rank(rng: random.Random, n: int, s: float) -> int:
    """A rank in [0, n) for huge n, by inverting the continuous power law (O(1), no table)."""
    u = rng.random()
    if s == 0:
        return min(int(u * n), n - 1)
    if abs(s - 1.0) < 1e-9:
        x = float(n) ** u
    else:
        a = 1.0 - s
        x = ((float(n) ** a - 1.0) * u + 1.0) ** (1.0 / a)
    return min(max(int(x) - 1, 0), n - 1)
