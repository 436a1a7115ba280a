"""String makers, one per ``kind``: names, emails, URLs, user agents, prose...

Each maker is a function of a ``random.Random`` and nothing else, so the generator decides
which random stream feeds it. Every character comes from the built-in lists in
``vocab.py`` or from ASCII, so no value holds a character that XML cannot carry.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

from fmtbench.generate.hints import Pair
from fmtbench.generate.vocab import (
    CITIES,
    COUNTRIES,
    FIRST_NAMES,
    HOST_PREFIXES,
    HTTP_METHODS,
    LABELS,
    LAST_NAMES,
    MAIL_DOMAINS,
    PATH_EXTENSIONS,
    PATH_ROOTS,
    SKU_LETTERS,
    STREET_TYPES,
    TLDS,
    USER_AGENTS,
    WORDS,
    Picker,
    below,
)

StringMaker = Callable[[random.Random], str]

_FOLD = str.maketrans({"ø": "o", "ß": "ss", "ł": "l", "æ": "ae", "\u0131": "i", "'": ""})


def ascii_fold(text: str) -> str:
    """``Zoë Søren`` -> ``zoe soren``: the part of a name an email address would use."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(ch for ch in decomposed if ch.isascii())


# Words inside prose, hosts and paths: a milder skew than a ``word`` field's, because 240
# words under Zipf 1.1 would repeat "time" in every other title.
_word = Picker(WORDS, 0.5)
_first = Picker(FIRST_NAMES, 0.6)
_last = Picker(LAST_NAMES, 0.6)
_first_ascii = Picker([ascii_fold(n) for n in FIRST_NAMES], 0.6)
_last_ascii = Picker([ascii_fold(n) for n in LAST_NAMES], 0.6)
_mail_domain = Picker(MAIL_DOMAINS)
_tld = Picker(TLDS)
_host_prefix = Picker(HOST_PREFIXES)
_path_root = Picker(PATH_ROOTS)
_extension = Picker(PATH_EXTENSIONS)
_agent = Picker(USER_AGENTS, 1.3)
_street_type = Picker(STREET_TYPES)


def _between(rng: random.Random, span: Pair) -> int:
    return span[0] + below(rng, span[1] - span[0] + 1)


def _words(rng: random.Random, n: int) -> list[str]:
    return [_word(rng) for _ in range(n)]


def sentence_of(rng: random.Random, n: int) -> str:
    if n == 0:
        return ""
    words = _words(rng, n)
    return " ".join([words[0].capitalize(), *words[1:]]) + "."


def _text(rng: random.Random, n: int) -> str:
    sentences = []
    while n > 0:
        k = min(n, 5 + below(rng, 8))
        sentences.append(sentence_of(rng, k))
        n -= k
    return " ".join(sentences)


def _name(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"{_first(rng)} {SKU_LETTERS[below(rng, len(SKU_LETTERS))]}. {_last(rng)}"
    return f"{_first(rng)} {_last(rng)}"


def _username(rng: random.Random) -> str:
    first, last = _first_ascii(rng), _last_ascii(rng)
    style = below(rng, 4)
    if style == 0:
        return f"{first}.{last}"
    if style == 1:
        return f"{first[0]}{last}{below(rng, 100)}"
    if style == 2:
        return f"{first}_{_word(rng)}"
    return f"{first}{below(rng, 10000)}"


def _email(rng: random.Random) -> str:
    first, last = _first_ascii(rng), _last_ascii(rng)
    style = below(rng, 4)
    if style == 0:
        local = f"{first}.{last}"
    elif style == 1:
        local = f"{first[0]}{last}"
    elif style == 2:
        local = f"{first}{below(rng, 1000)}"
    else:
        local = f"{first}.{last}{below(rng, 100)}"
    return f"{local}@{_mail_domain(rng)}"


def _hostname(rng: random.Random) -> str:
    style = below(rng, 3)
    if style == 0:
        return f"{_host_prefix(rng)}.{_word(rng)}{_word(rng)}.{_tld(rng)}"
    if style == 1:
        return f"{_word(rng)}-{below(rng, 100):02d}.{_word(rng)}.{_tld(rng)}"
    return f"{_word(rng)}.{_tld(rng)}"


def _ipv4(rng: random.Random) -> str:
    a = rng.getrandbits(32)
    octets = [a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255]
    style = below(rng, 4)
    if style == 0:  # private networks are common in server-side data
        octets[0] = 10
    elif style == 1:
        octets[:2] = [192, 168]
    elif octets[0] in (0, 10, 127) or octets[0] >= 224:
        octets[0] = 1 + below(rng, 223)
    octets[3] = max(octets[3], 1)
    return ".".join(map(str, octets))


def _uuid(rng: random.Random) -> str:
    # Version 4 layout from 128 random bits, without uuid4() and its os.urandom.
    v = rng.getrandbits(128)
    v = (v & ~(0xF000 << 64)) | (0x4000 << 64)
    v = (v & ~(0xC000 << 48)) | (0x8000 << 48)
    h = f"{v:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _path(rng: random.Random) -> str:
    parts = [_path_root(rng)]
    for _ in range(below(rng, 4)):
        parts.append(str(1 + below(rng, 99999)) if rng.random() < 0.25 else _word(rng))
    tail = _extension(rng) if rng.random() < 0.3 else ""
    return "/" + "/".join(parts) + tail


def _url(rng: random.Random) -> str:
    query = ""
    if rng.random() < 0.3:
        query = f"?q={_word(rng)}&page={1 + below(rng, 20)}"
    return f"https://{_hostname(rng)}{_path(rng)}{query}"


def _user_agent(rng: random.Random) -> str:
    return _agent(rng).format(
        major=100 + below(rng, 27),
        minor=below(rng, 9),
        build=4000 + below(rng, 2500),
        patch=below(rng, 200),
    )


def _sku(rng: random.Random) -> str:
    letters = "".join(SKU_LETTERS[below(rng, len(SKU_LETTERS))] for _ in range(2 + below(rng, 2)))
    digits = 4 + below(rng, 3)
    return f"{letters}-{below(rng, 10**digits):0{digits}d}"


def _street(rng: random.Random) -> str:
    return f"{1 + below(rng, 400)} {_word(rng).capitalize()} {_street_type(rng)}"


def _postal_code(rng: random.Random) -> str:
    return f"{below(rng, 100000):05d}"


_FIXED: dict[str, StringMaker] = {
    "name": _name,
    "username": _username,
    "email": _email,
    "hostname": _hostname,
    "ipv4": _ipv4,
    "uuid": _uuid,
    "path": _path,
    "url": _url,
    "user_agent": _user_agent,
    "sku": _sku,
    "street": _street,
    "postal_code": _postal_code,
}
LISTS: dict[str, tuple[str, ...]] = {
    "word": WORDS,
    "country": COUNTRIES,
    "city": CITIES,
    "http_method": HTTP_METHODS,
    "label": LABELS,
}
# Defaults of ``len`` where it applies (characters for word and hex, else words).
DEFAULT_LEN: dict[str, Pair] = {
    "hex": (32, 32),
    "sentence": (4, 12),
    "text": (12, 60),
    "title": (2, 6),
}


def string_maker(kind: str, length: Pair | None, zipf: float) -> StringMaker:
    """The maker of one kind; ``length`` and ``zipf`` as checked by ``hints.string_spec``."""
    if kind in _FIXED:
        return _FIXED[kind]
    if kind == "word":
        return _word_maker(length, zipf)
    if kind in LISTS:
        return Picker(LISTS[kind], zipf)
    span = length if length is not None else DEFAULT_LEN[kind]
    if kind == "hex":
        return lambda rng: _hex(rng, _between(rng, span))
    if kind == "sentence":
        return lambda rng: sentence_of(rng, _between(rng, span))
    if kind == "text":
        return lambda rng: _text(rng, _between(rng, span))
    if kind == "title":
        return lambda rng: " ".join(w.capitalize() for w in _words(rng, _between(rng, span)))
    raise AssertionError(kind)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}" if n else ""


def _word_maker(length: Pair | None, zipf: float) -> StringMaker:
    if length is None:
        return Picker(WORDS, zipf)
    lo, hi = length
    fitting = [w for w in WORDS if lo <= len(w) <= hi]
    if fitting:
        return Picker(fitting, zipf)

    def glued(rng: random.Random) -> str:
        # No listed word is that long (or short): glue words and cut to a drawn length.
        n = _between(rng, length)
        out = ""
        while len(out) < n:
            out += _word(rng)
        return out[:n]

    return glued
