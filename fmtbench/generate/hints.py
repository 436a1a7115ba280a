"""The hint vocabulary: raw ``gen:`` mappings checked and resolved into complete specs.

A spec says everything a value maker needs (no defaults left to fill), so ``values.py``
never looks at raw hints and every mistake is caught here, before a record is made, with
a message naming the field: ``Order.note: unknown hint 'lenn'; did you mean 'len'?``.
The vocabulary is documented in docs/datasets.md; keep the two in step.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from fmtbench.codecs.values.leaves import timestamp_from_text
from fmtbench.errors import SchemaError, ValueMismatch
from fmtbench.schema.model import INT_RANGES, Schema
from fmtbench.schema.values import EPOCH

Pair = tuple[int, int]

STRING_KINDS: tuple[str, ...] = (
    "word", "sentence", "name", "email", "url", "hostname", "ipv4", "uuid", "hex", "text",
    "path", "user_agent", "http_method", "country", "city", "sku", "title",
    # Beyond the issue's list: they make the shipped schemas' addresses and maps look real.
    "street", "postal_code", "username", "label",
)  # fmt: skip
# Kinds drawn from one built-in list: ``zipf`` skews them, and ``vocab: N`` is capped at
# the list's length.
LIST_KINDS = frozenset({"word", "country", "city", "http_method", "label"})
# Kinds whose length ``len`` controls, and its unit.
LEN_UNITS = {
    "word": "characters",
    "hex": "characters",
    "sentence": "words",
    "text": "words",
    "title": "words",
}
INT_DISTS = ("uniform", "zipf", "small", "sequence", "normal", "lognormal")
FLOAT_DISTS = ("uniform", "normal", "lognormal")
BYTES_KINDS = ("random", "text")
DEFAULT_ZIPF = 1.1
DEFAULT_PRESENCE = 0.7
MAX_LEN = 1_000_000  # a guard against typos such as len: [0, 1e9] filling the disk
F32_MAX = 3.4028234663852886e38


class HintError(SchemaError):
    """A generation hint is unknown or out of range; the message names the field."""


# -- resolved specs ----------------------------------------------------------------------
@dataclass(frozen=True)
class StringSpec:
    kind: str
    length: Pair | None
    vocab: int | tuple[str, ...] | None
    zipf: float


@dataclass(frozen=True)
class IntSpec:
    type: str
    dist: str  # one of INT_DISTS, or "vocab" for a literal list
    lo: int
    hi: int
    start: int = 0
    step: int = 1
    mean: float = 0.0
    sd: float = 1.0
    zipf: float = DEFAULT_ZIPF
    vocab: tuple[int, ...] = ()


@dataclass(frozen=True)
class FloatSpec:
    type: str
    dist: str
    lo: float
    hi: float
    mean: float
    sd: float
    precision: int | None


@dataclass(frozen=True)
class TimeSpec:
    start_us: int  # microseconds since 1970-01-01T00:00:00Z
    step: float  # mean seconds between values
    jitter: float
    #: "us" (the default: whole microseconds) or "ns": the clock also moves by nanoseconds.
    precision: str = "us"


#: The units a generated duration is a whole number of, in nanoseconds.
DURATION_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1000, "ns": 1}
DURATION_DISTS = ("lognormal", "uniform")


@dataclass(frozen=True)
class DurationSpec:
    dist: str  # "lognormal" (around ``median``) or "uniform" (over ``range``)
    lo: float  # seconds: the values' range (negative allowed)
    hi: float
    median: float  # seconds, for lognormal
    sd: float  # of the log, for lognormal
    unit_ns: int  # values are whole multiples of this many nanoseconds


@dataclass(frozen=True)
class EnumSpec:
    names: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class BoolSpec:
    true_rate: float


@dataclass(frozen=True)
class BytesSpec:
    length: Pair
    kind: str


@dataclass(frozen=True)
class DecimalSpec:
    precision: int
    scale: int
    lo: float  # the values' range (amounts: 0..1000 unless hinted)
    hi: float


LeafSpec = (
    StringSpec
    | IntSpec
    | FloatSpec
    | TimeSpec
    | DurationSpec
    | EnumSpec
    | BoolSpec
    | BytesSpec
    | DecimalSpec
)


# -- reading raw hints -------------------------------------------------------------------
class Hints:
    """One raw hint mapping, read key by key with errors that name the field."""

    def __init__(self, raw: Any, where: str, allowed: Collection[str], what: str) -> None:
        self.where = where
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            self.fail(f"hints must be a mapping, got {type(raw).__name__}")
        for key in raw:
            if not isinstance(key, str) or key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                guess = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(sorted(allowed)) or "none"
                self.fail(f"unknown hint {key!r} for {what}{guess} (hints for {what}: {known})")
        self.raw: Mapping[str, Any] = raw

    def fail(self, problem: str) -> NoReturn:
        raise HintError(f"{self.where}: {problem}")

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def refuse(self, keys: Collection[str], why: str) -> None:
        """Refuse keys that mean nothing in this combination, rather than ignore them."""
        for key in sorted(keys):
            if key in self.raw:
                self.fail(f"{key!r} {why}")

    def refuse_for_dist(self, dist: str, uses: Mapping[str, Collection[str]]) -> None:
        for key in sorted(_DIST_PARAMS):
            if key in self.raw and key not in uses[dist]:
                owners = ", ".join(d for d, keys in uses.items() if key in keys)
                self.fail(f"{key!r} does not apply to dist {dist!r} (it goes with: {owners})")

    def number(
        self, key: str, default: float, lo: float = -math.inf, hi: float = math.inf
    ) -> float:
        v = self.raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            self.fail(f"{key} must be a number, got {v!r}")
        if not lo <= v <= hi:
            self.fail(f"{key} must be between {lo:g} and {hi:g}, got {v!r}")
        return float(v)

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        v = self.raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(f"{key} must be a whole number, got {v!r}")
        if not lo <= v <= hi:
            self.fail(f"{key} must be between {lo} and {hi}, got {v}")
        return v

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        v = self.raw.get(key, default)
        if v not in options:
            close = difflib.get_close_matches(str(v), options, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            self.fail(f"unknown {key} {v!r}; {guess}choose one of: {', '.join(options)}")
        return str(v)

    def length(self, key: str, default: Pair) -> Pair:
        """``[min, max]`` counts (a single N means exactly N)."""
        v = self.raw.get(key, default)
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v, v]
        if not _is_pair(v, int) or not 0 <= v[0] <= v[1] <= MAX_LEN:
            self.fail(f"{key} must be [min, max] with 0 <= min <= max <= {MAX_LEN}, got {v!r}")
        return int(v[0]), int(v[1])

    def int_range(self, key: str, default: Pair, type_name: str) -> Pair:
        lo, hi = INT_RANGES[type_name]
        v = self.raw.get(key, default)
        if not _is_pair(v, int) or v[0] > v[1]:
            self.fail(f"{key} must be [lo, hi] whole numbers with lo <= hi, got {v!r}")
        if v[0] < lo or v[1] > hi:
            self.fail(f"{key} {list(v)} does not fit {type_name} ({lo}..{hi})")
        return int(v[0]), int(v[1])

    def float_range(
        self, key: str, default: tuple[float, float], bound: float
    ) -> tuple[float, float]:
        v = self.raw.get(key, default)
        if not _is_pair(v, int | float) or not all(math.isfinite(x) for x in v) or v[0] > v[1]:
            self.fail(f"{key} must be [lo, hi] finite numbers with lo <= hi, got {v!r}")
        if max(abs(v[0]), abs(v[1])) > bound:
            self.fail(f"{key} {list(v)} is beyond the type's largest value {bound:g}")
        return float(v[0]), float(v[1])


def _is_pair(v: Any, kind: Any) -> bool:
    return (
        isinstance(v, list | tuple)
        and len(v) == 2
        and all(isinstance(x, kind) and not isinstance(x, bool) for x in v)
    )


def xml_safe(text: str) -> bool:
    """Every format can carry it: XML 1.0 characters, and no lone surrogates."""
    for ch in text:
        c = ord(ch)
        if c < 0x20 and ch not in "\t\n\r":
            return False
        if 0xD800 <= c <= 0xDFFF or c in (0xFFFE, 0xFFFF):
            return False
    return True


# -- leaves ------------------------------------------------------------------------------
def string_spec(h: Hints) -> StringSpec:
    vocab_raw = h.raw.get("vocab")
    vocab: int | tuple[str, ...] | None = None
    if isinstance(vocab_raw, list):
        if "kind" in h or "len" in h:
            h.fail("a vocab list gives the values itself; drop kind and len, or use vocab: N")
        if not vocab_raw or not all(isinstance(x, str) for x in vocab_raw):
            h.fail(
                f"vocab must be a whole number or a non-empty list of strings, got {vocab_raw!r}"
            )
        bad = next((x for x in vocab_raw if not xml_safe(x)), None)
        if bad is not None:
            h.fail(f"vocab value {bad!r} holds a control character that XML cannot carry")
        vocab = tuple(vocab_raw)
    elif vocab_raw is not None:
        vocab = h.integer("vocab", 0, 1, MAX_LEN)
    kind = h.choice("kind", STRING_KINDS, "word")
    length = None
    if "len" in h:
        if kind not in LEN_UNITS:
            kinds = ", ".join(sorted(LEN_UNITS))
            h.fail(f"len does not apply to kind {kind!r} (it applies to {kinds})")
        length = h.length("len", (0, 0))
    if "zipf" in h and vocab is None and kind not in LIST_KINDS:
        h.fail(
            f"zipf skews vocab draws: add vocab, or use a list kind ({', '.join(sorted(LIST_KINDS))})"
        )
    return StringSpec(kind, length, vocab, h.number("zipf", DEFAULT_ZIPF, 0.0, 10.0))


_DIST_PARAMS = frozenset({"start", "step", "mean", "sd", "zipf"})
_INT_DIST_USES: dict[str, frozenset[str]] = {
    "uniform": frozenset(),
    "zipf": frozenset({"zipf"}),
    "small": frozenset({"mean"}),
    "sequence": frozenset({"start", "step"}),
    "normal": frozenset({"mean", "sd"}),
    "lognormal": frozenset({"mean", "sd"}),
}

_FLOAT_DIST_USES: dict[str, frozenset[str]] = {
    "uniform": frozenset(),
    "normal": frozenset({"mean", "sd"}),
    "lognormal": frozenset({"mean", "sd"}),
}


def int_spec(h: Hints, type_name: str) -> IntSpec:
    tlo, thi = INT_RANGES[type_name]
    if isinstance(h.raw.get("vocab"), list):
        h.refuse({"dist", "range", "start", "step", "mean", "sd"}, "does not go with a vocab list")
        values = h.raw["vocab"]
        if not values or not all(isinstance(x, int) and not isinstance(x, bool) for x in values):
            h.fail(f"vocab must be a non-empty list of whole numbers, got {values!r}")
        if any(not tlo <= x <= thi for x in values):
            h.fail(f"vocab values must fit {type_name} ({tlo}..{thi})")
        return IntSpec(
            type_name,
            "vocab",
            tlo,
            thi,
            zipf=h.number("zipf", DEFAULT_ZIPF, 0, 10),
            vocab=tuple(values),
        )
    if "vocab" in h:
        h.fail("vocab for an integer field must be a list of numbers")
    default_dist = "normal" if "mean" in h or "sd" in h else "uniform"
    dist = h.choice("dist", INT_DISTS, default_dist)
    h.refuse_for_dist(dist, _INT_DIST_USES)
    default_range = (max(tlo, 1 if dist == "zipf" else 0), min(thi, 1000))
    if dist in ("normal", "lognormal", "sequence"):
        default_range = (tlo, thi)  # only clamps: the distribution's own parameters rule
    lo, hi = h.int_range("range", default_range, type_name)
    if dist == "sequence":
        start = h.integer("start", max(lo, min(1, hi)), lo, hi)
        step = h.integer("step", 1, -(2**63), 2**63 - 1)
        if step == 0:
            h.fail("step must not be 0: a sequence moves")
        return IntSpec(type_name, dist, lo, hi, start=start, step=step)
    if dist == "normal":
        centre = (lo + hi) / 2 if "range" in h else 100.0
        spread = (hi - lo) / 6 if "range" in h else 20.0
        mean = h.number("mean", centre)
        return IntSpec(type_name, dist, lo, hi, mean=mean, sd=h.number("sd", spread, 0.0))
    if dist == "lognormal":
        mean = h.number("mean", 4.6, -700.0, 700.0)  # e^4.6 is about 100
        return IntSpec(type_name, dist, lo, hi, mean=mean, sd=h.number("sd", 1.0, 0.0, 50.0))
    if dist == "small":
        return IntSpec(type_name, dist, lo, hi, mean=h.number("mean", 2.0, 0.0, 1e9))
    return IntSpec(type_name, dist, lo, hi, zipf=h.number("zipf", DEFAULT_ZIPF, 0.0, 10.0))


def float_spec(h: Hints, type_name: str) -> FloatSpec:
    bound = F32_MAX if type_name == "float32" else 1.7976931348623157e308
    default_dist = "normal" if "mean" in h or "sd" in h or "range" not in h else "uniform"
    dist = h.choice("dist", FLOAT_DISTS, default_dist)
    h.refuse_for_dist(dist, _FLOAT_DIST_USES)
    lo, hi = h.float_range("range", (0.0, 1.0) if dist == "uniform" else (-bound, bound), bound)
    mean_default, sd_default = (0.0, 1.0) if dist == "lognormal" else (50.0, 15.0)
    if dist == "normal" and "range" in h:
        mean_default, sd_default = (lo + hi) / 2, (hi - lo) / 6
    mean = h.number("mean", mean_default, -bound, bound)
    if dist == "lognormal" and not -700 <= mean <= 700:
        h.fail("mean of a lognormal is the mean of the log: keep it within -700..700")
    sd = h.number("sd", sd_default, 0.0, bound)
    precision = h.integer("precision", 0, 0, 15) if "precision" in h else None
    return FloatSpec(type_name, dist, lo, hi, mean, sd, precision)


def time_spec(h: Hints) -> TimeSpec:
    raw = h.raw.get("start", "2024-01-01T00:00:00Z")
    if isinstance(raw, datetime):  # YAML reads an unquoted timestamp itself
        if raw.tzinfo is None:
            h.fail(f"start {raw} has no time zone; end it with Z")
        start = raw.astimezone(UTC)
    elif isinstance(raw, date):
        start = datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
    elif isinstance(raw, str):
        try:
            start = timestamp_from_text(raw)
        except ValueMismatch as exc:
            h.fail(f"start: {exc.problem}")
    else:
        h.fail(f"start must be an RFC 3339 timestamp such as 2024-01-01T00:00:00Z, got {raw!r}")
    step = h.number("step", 60.0, 1e-6, 1e9)
    jitter = h.number("jitter", step / 2, 0.0, 1e9)
    start_us = (start - EPOCH) // _MICROSECOND
    precision = h.choice("precision", ("us", "ns"), "us")
    if precision == "ns" and step < 1e-9:
        h.fail("step must be at least 1e-9 seconds with precision ns")
    return TimeSpec(start_us, step, jitter, precision)


#: Protobuf Duration's range in seconds (about 10,000 years).
_DURATION_BOUND = 315_576_000_000.0


def duration_spec(h: Hints) -> DurationSpec:
    dist = h.choice("dist", DURATION_DISTS, "lognormal")
    lo, hi = h.float_range("range", (0.0, 86_400.0), _DURATION_BOUND)
    median = h.number("median", 1.0, 1e-9, _DURATION_BOUND)
    sd = h.number("sd", 1.5, 0.0, 20.0)
    unit = h.choice("precision", tuple(DURATION_UNITS), "ms")
    return DurationSpec(dist, lo, hi, median, sd, DURATION_UNITS[unit])


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH


def enum_spec(h: Hints, schema: Schema, enum_name: str) -> EnumSpec:
    # Canonical names only: an alias (allow_alias) reads back as its first name.
    names = schema.enums[enum_name].canonical_names
    if "weights" not in h:
        # Skewed towards early values, as real status fields are.
        return EnumSpec(names, tuple(1.0 / (i + 1) for i in range(len(names))))
    raw = h.raw["weights"]
    if not isinstance(raw, Mapping) or not raw:
        h.fail(f"weights must be a mapping {{NAME: weight}} of {enum_name} values")
    for name, w in raw.items():
        if name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            guess = f"; did you mean {close[0]!r}?" if close else ""
            h.fail(f"weights: {name!r} is not a value of {enum_name}{guess}")
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w < math.inf:
            h.fail(f"weights: {name} must be a number >= 0, got {w!r}")
    if sum(raw.values()) <= 0:
        h.fail("weights: at least one weight must be above 0")
    return EnumSpec(names, tuple(float(raw.get(n, 0.0)) for n in names))


def leaf_spec(h: Hints, schema: Schema, type_name: str) -> LeafSpec:
    """The spec of one scalar or enum value, from hints already checked for unknown keys."""
    if type_name in schema.enums:
        return enum_spec(h, schema, type_name)
    if type_name == "string":
        return string_spec(h)
    if type_name in INT_RANGES:
        return int_spec(h, type_name)
    if type_name in ("float32", "float64"):
        return float_spec(h, type_name)
    if type_name == "timestamp":
        return time_spec(h)
    if type_name == "duration":
        return duration_spec(h)
    if type_name.startswith("decimal("):  # the type's text: decimal(p, s)
        p, s = (int(n) for n in type_name[len("decimal(") : -1].split(","))
        top = 10.0 ** (p - s) - 10.0**-s
        lo, hi = h.float_range("range", (0.0, min(top, 1000.0)), top)
        return DecimalSpec(p, s, lo, hi)
    if type_name == "bool":
        return BoolSpec(h.number("true_rate", 0.5, 0.0, 1.0))
    if type_name == "bytes":
        return BytesSpec(h.length("len", (0, 64)), h.choice("kind", BYTES_KINDS, "random"))
    raise AssertionError(type_name)


# What each value type accepts; ``presence`` (optional fields) is handled by the field.
LEAF_KEYS: dict[str, frozenset[str]] = {
    "string": frozenset({"kind", "len", "vocab", "zipf"}),
    "int": frozenset({"range", "dist", "start", "step", "mean", "sd", "zipf", "vocab"}),
    "float": frozenset({"range", "dist", "mean", "sd", "precision"}),
    "timestamp": frozenset({"start", "step", "jitter", "precision"}),
    "duration": frozenset({"dist", "range", "median", "sd", "precision"}),
    "enum": frozenset({"weights"}),
    "bool": frozenset({"true_rate"}),
    "bytes": frozenset({"len", "kind"}),
    "decimal": frozenset({"range"}),
}


def leaf_family(schema: Schema, type_name: str) -> str:
    if type_name in schema.enums:
        return "enum"
    if type_name in INT_RANGES:
        return "int"
    if type_name in ("float32", "float64"):
        return "float"
    if type_name.startswith("decimal("):
        return "decimal"
    return type_name
