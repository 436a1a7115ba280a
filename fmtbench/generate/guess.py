"""Default hints guessed from a field's name, so a schema with no hints already gives data.

``email`` gets addresses, ``latency_ms`` a skewed latency, ``quantity`` a small counter.
Each guess is an ordinary raw hint mapping, checked by the same code as a user's, and
``merge`` decides how much of it survives the user's own hints (docs/datasets.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from fmtbench.schema.model import INT_RANGES

Guess = dict[str, Any]
Rule = tuple[tuple[str, ...], Guess]

# First match wins; patterns are fnmatch globs on the lower-case field name.
STRING_RULES: tuple[Rule, ...] = (
    (("trace_id", "span_id", "*_hash", "hash", "checksum", "sha1", "sha256", "digest", "etag", "token"),
     {"kind": "hex", "len": [32, 32]}),
    (("email", "*_email", "mail", "email_address"), {"kind": "email"}),
    (("user_agent", "useragent", "ua", "agent"), {"kind": "user_agent"}),
    (("url", "*_url", "uri", "link", "href", "website", "referer", "referrer"), {"kind": "url"}),
    (("host", "hostname", "*_host", "domain", "server", "fqdn"), {"kind": "hostname"}),
    (("ip", "*_ip", "ip_address", "ipv4", "remote_addr", "addr"), {"kind": "ipv4"}),
    (("uuid", "guid", "*_uuid", "id", "*_id"), {"kind": "uuid"}),
    (("username", "user", "login", "handle", "user_name"), {"kind": "username"}),
    (("name", "full_name", "*_name", "author", "customer", "contact"), {"kind": "name"}),
    (("city", "town", "*_city"), {"kind": "city"}),
    (("country", "country_code", "*_country"), {"kind": "country"}),
    (("street", "street_address", "address_line*"), {"kind": "street"}),
    (("postal_code", "zip", "zip_code", "zipcode", "postcode"), {"kind": "postal_code"}),
    (("path", "*_path", "route", "endpoint", "file", "filename"), {"kind": "path"}),
    (("method", "http_method", "verb"), {"kind": "http_method"}),
    (("sku", "*_sku", "product_code", "part_number"), {"kind": "sku"}),
    (("sensor", "device", "node", "machine", "instance", "station"),
     {"kind": "sku", "vocab": 200}),
    (("title", "subject", "headline"), {"kind": "title"}),
    (("description", "text", "body", "content", "bio", "details"), {"kind": "text"}),
    (("note", "comment", "message", "summary", "reason", "msg", "remark"), {"kind": "sentence"}),
    (("channel",), {"vocab": ["web", "app", "phone", "store", "partner"]}),
    (("env", "environment"), {"vocab": ["prod", "staging", "dev", "test"]}),
    (("region", "zone"),
     {"vocab": ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1", "eu-central-1"]}),
    (("currency", "*_currency"), {"vocab": ["USD", "EUR", "GBP", "JPY", "CHF", "CAD"]}),
    (("lang", "language", "locale"), {"vocab": ["en", "de", "fr", "es", "ja", "pt", "it"]}),
    (("level", "severity", "log_level"), {"vocab": ["INFO", "DEBUG", "WARN", "ERROR"]}),
)  # fmt: skip

INT_RULES: tuple[Rule, ...] = (
    (("sequence", "seq", "*_seq", "offset", "index", "row", "line_no"), {"dist": "sequence"}),
    (("count", "*_count", "num_*", "n_*", "retries", "attempts", "hits", "errors"),
     {"dist": "small", "range": [0, 1000]}),
    (("quantity", "qty", "*_quantity", "items", "units"), {"dist": "small", "range": [1, 1000]}),
    (("version", "revision", "rev", "priority", "rank"), {"dist": "small", "range": [1, 1000]}),
    (("*_ms", "*_us", "*_ns", "latency", "latency_*", "duration", "duration_*", "elapsed",
      "took", "rtt"), {"dist": "lognormal", "mean": 3.9, "sd": 1.0}),
    (("*_cents", "price", "*_price", "amount", "*_amount", "total", "cost", "balance"),
     {"dist": "lognormal", "mean": 7.8, "sd": 1.0}),
    (("size", "*_size", "bytes", "*_bytes", "length", "content_length"),
     {"dist": "lognormal", "mean": 7.6, "sd": 1.5}),
    (("status", "status_code", "http_status", "code"),
     {"vocab": [200, 304, 404, 201, 302, 204, 301, 500, 400, 403, 401, 503, 502]}),
    (("port", "*_port"), {"range": [1024, 65535]}),
    (("year",), {"range": [1990, 2030]}),
    (("age",), {"dist": "normal", "mean": 38, "sd": 14, "range": [0, 110]}),
    (("rating", "stars"), {"range": [1, 5]}),
    (("flags", "*_flags", "mask", "bits"), {"range": [0, 255]}),
)  # fmt: skip

# ``id`` is a sequence on the record itself, a skewed foreign key anywhere else.
ROOT_ID: Guess = {"dist": "sequence", "start": 1}
FOREIGN_ID: Guess = {"dist": "zipf", "range": [1, 100_000]}
ID_PATTERNS = ("id", "*_id")
# Wide integers that look like digests take the whole range of their type.
WIDE_PATTERNS = ("checksum", "hash", "*_hash", "crc", "crc32", "fingerprint", "digest")

FLOAT_RULES: tuple[Rule, ...] = (
    (("lat", "latitude"), {"range": [-90, 90], "precision": 5}),
    (("lon", "lng", "long", "longitude"), {"range": [-180, 180], "precision": 5}),
    (("*_kg", "weight", "mass", "*_weight"),
     {"dist": "lognormal", "mean": 0.4, "sd": 0.8, "precision": 3}),
    (("discount", "ratio", "*_ratio", "rate", "*_rate", "fraction", "probability", "share"),
     {"range": [0, 1], "precision": 2}),
    (("percent", "pct", "*_pct", "*_percent", "humidity", "utilization", "usage"),
     {"range": [0, 100], "precision": 1}),
    (("price", "*_price", "amount", "*_amount", "cost", "total", "balance"),
     {"dist": "lognormal", "mean": 3.2, "sd": 1.0, "precision": 2}),
    (("temperature", "temp", "*_celsius", "celsius"),
     {"dist": "normal", "mean": 20, "sd": 6, "precision": 1}),
    (("*_ms", "latency", "duration", "elapsed", "*_seconds", "*_secs", "took", "rtt"),
     {"dist": "lognormal", "mean": 3.9, "sd": 1.0, "precision": 3}),
    (("score",), {"range": [0, 100], "precision": 2}),
)  # fmt: skip

BYTES_RULES: tuple[Rule, ...] = (
    (("body", "text", "html", "json", "content", "document", "log"), {"kind": "text"}),
)
BOOL_RULES: tuple[Rule, ...] = (
    (("ok", "enabled", "active", "success", "valid", "verified", "available", "healthy"),
     {"true_rate": 0.9}),
    (("vip", "deleted", "error", "failed", "test", "flagged", "gift_wrap", "is_bot", "blocked"),
     {"true_rate": 0.1}),
)  # fmt: skip

# The keys that say which distribution a number follows and with what parameters.
DIST_SHAPE = frozenset({"dist", "mean", "sd", "start", "step", "vocab", "zipf"})


def _match(rules: tuple[Rule, ...], names: tuple[str, ...]) -> Guess:
    for name in names:
        for patterns, guess in rules:
            if any(fnmatchcase(name, p) for p in patterns):
                return dict(guess)
    return {}


def names_for(name: str, element: bool) -> tuple[str, ...]:
    """The names to try: an element of ``emails`` is an ``email``."""
    lower = name.lower()
    if not element:
        return (lower,)
    if lower.endswith("ies"):
        return (lower, lower[:-3] + "y")
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return (lower, lower[:-2])
    if lower.endswith("s") and not lower.endswith("ss"):
        return (lower, lower[:-1])
    return (lower,)


def guess(family: str, type_name: str, name: str, *, root: bool, element: bool) -> Guess:
    """The hints a field of this name and type gets when the user says nothing."""
    names = names_for(name, element)
    if family == "string":
        return _match(STRING_RULES, names)
    if family == "int":
        if any(fnmatchcase(n, p) for n in names for p in ID_PATTERNS):
            return dict(ROOT_ID if root and not element and names[0] == "id" else FOREIGN_ID)
        if any(fnmatchcase(n, p) for n in names for p in WIDE_PATTERNS):
            lo, hi = INT_RANGES[type_name]
            return {"range": [max(lo, 0), hi]}
        return _match(INT_RULES, names)
    if family == "float":
        return _match(FLOAT_RULES, names)
    if family == "bytes":
        return _match(BYTES_RULES, names)
    if family == "bool":
        return _match(BOOL_RULES, names)
    return {}


def merge(family: str, below: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Hints over the layer below them (a guess, or ``gen:`` under a profile's hints).

    Keys are replaced one by one, except where one key decides what others mean:
    - a string ``kind`` or vocab list replaces the kind, ``len`` and vocab list below (an
      email kind below survives ``vocab: 50``);
    - a number's distribution parameters replace those below, keeping the ``dist`` below
      unless one is given (``mean: 5`` over a guessed ``dist: small`` tunes it), and the
      ``range`` below stays as a bound; a vocab list and a range exclude each other.
    """
    g = dict(below)
    if family == "string" and ("kind" in user or isinstance(user.get("vocab"), list)):
        g.pop("kind", None)
        g.pop("len", None)
        if isinstance(g.get("vocab"), list):
            del g["vocab"]
    elif family in ("int", "float"):
        if DIST_SHAPE & set(user):
            keep = set() if "dist" in user else {"dist"}
            g = {k: v for k, v in g.items() if k not in DIST_SHAPE or k in keep}
            if isinstance(user.get("vocab"), list):
                g.pop("range", None)
        if "range" in user and isinstance(g.get("vocab"), list):
            g.pop("vocab")
            g.pop("zipf", None)
    return {**g, **user}
