"""Value makers for scalar and enum specs.

``leaf_binder(spec, vocab_seed)`` does the one-off work (vocabularies, weight tables) and
returns a *binder*: given the ``random.Random`` of one field, it returns the function that
makes that field's next value. Binding per run keeps state such as a sequence's counter or
a timestamp's clock out of the compiled plan, so every run of a generator starts afresh.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

from fmtbench.generate.hints import (
    MAX_LEN,
    BoolSpec,
    BytesSpec,
    DecimalSpec,
    DurationSpec,
    EnumSpec,
    FloatSpec,
    IntSpec,
    LeafSpec,
    Pair,
    StringSpec,
    TimeSpec,
)
from fmtbench.generate.strings import LISTS, StringMaker, string_maker
from fmtbench.generate.vocab import WORDS, Weighted, Zipf, below, normal, zipf_rank
from fmtbench.schema.values import EPOCH
from fmtbench.values import Duration, Timestamp

Make = Callable[[], Any]
Binder = Callable[[random.Random], Make]

_F32 = struct.Struct("<f")
_US = timedelta(microseconds=1)
MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // _US


def leaf_binder(spec: LeafSpec, vocab_seed: str) -> Binder:
    """Compile a spec once; ``vocab_seed`` seeds the values of a ``vocab: N`` hint."""
    if isinstance(spec, StringSpec):
        return _string(spec, vocab_seed)
    if isinstance(spec, IntSpec):
        return _integer(spec)
    if isinstance(spec, FloatSpec):
        return _float(spec)
    if isinstance(spec, TimeSpec):
        return _time(spec) if spec.precision == "us" else _time_ns(spec)
    if isinstance(spec, DurationSpec):
        return _duration(spec)
    if isinstance(spec, EnumSpec):
        names, table = spec.names, Weighted(spec.weights)
        return lambda rng: lambda: names[table.index(rng)]
    if isinstance(spec, BoolSpec):
        p = spec.true_rate
        return lambda rng: lambda: rng.random() < p
    if isinstance(spec, DecimalSpec):
        return _decimal(spec)
    return _bytes(spec)


def _decimal(spec: DecimalSpec) -> Binder:
    """Amounts: whole units of the scale within the range, small ones more often (as prices
    and payments are), quantized to the scale as the canonical value is."""
    s, limit = spec.scale, 10**spec.precision - 1
    a = max(-limit, math.ceil(spec.lo * 10**s))
    b = min(limit, math.floor(spec.hi * 10**s))
    exact = Context(prec=spec.precision + 2)
    zero = Decimal(0).scaleb(-s)

    def bind(rng: random.Random) -> Make:
        def make() -> Decimal:
            n = a + int((b - a) * rng.random() ** 3) if b > a else a
            return Decimal(n).scaleb(-s, exact) if n else zero

        return make

    return bind


def _between(rng: random.Random, span: Pair) -> int:
    return span[0] + below(rng, span[1] - span[0] + 1)


# -- strings -----------------------------------------------------------------------------
def _string(spec: StringSpec, vocab_seed: str) -> Binder:
    maker = string_maker(spec.kind, spec.length, spec.zipf)
    if spec.vocab is None:
        return lambda rng: lambda: maker(rng)
    if isinstance(spec.vocab, tuple):
        values: tuple[str, ...] = spec.vocab
    else:
        values = build_vocab(spec.kind, spec.length, maker, spec.vocab, random.Random(vocab_seed))
    table = Zipf(len(values), spec.zipf)
    return lambda rng: lambda: values[table.index(rng)]


def build_vocab(
    kind: str, length: Pair | None, maker: StringMaker, n: int, rng: random.Random
) -> tuple[str, ...]:
    """``n`` distinct values of a kind, in the order first made (rank 1 is the first).

    A list kind draws its list without replacement, so a city vocabulary has at most every
    city; a word vocabulary larger than the word list goes on with compounds
    (``stone-river``); other kinds make values until ``n`` are distinct or tries run out.
    """
    seen: dict[str, None] = {}  # a dict keeps first-seen order, which a set would not
    if kind in LISTS:
        lo, hi = length if length is not None else (0, MAX_LEN)
        pool = [w for w in LISTS[kind] if lo <= len(w) <= hi]
        if pool:  # (an empty pool: a word length no listed word has; glued words below)
            seen.update(dict.fromkeys(_sample(pool, min(n, len(pool)), rng)))
            if kind != "word" or length is not None:
                return tuple(seen)
            maker = _compound
    attempts = 3 * n + 100
    while len(seen) < n and attempts:
        seen.setdefault(maker(rng))
        attempts -= 1
    return tuple(seen)


def _compound(rng: random.Random) -> str:
    return f"{WORDS[below(rng, len(WORDS))]}-{WORDS[below(rng, len(WORDS))]}"


def _sample(pool: list[str], k: int, rng: random.Random) -> list[str]:
    """``k`` items without replacement (a partial Fisher-Yates shuffle on our own draws)."""
    pool = list(pool)
    for i in range(k):
        j = i + below(rng, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


# -- numbers -----------------------------------------------------------------------------
def _integer(spec: IntSpec) -> Binder:
    lo, hi = spec.lo, spec.hi

    def clamp(x: float) -> int:
        return lo if x <= lo else hi if x >= hi else round(x)

    if spec.dist == "vocab":
        values, table = spec.vocab, Zipf(len(spec.vocab), spec.zipf)
        return lambda rng: lambda: values[table.index(rng)]
    if spec.dist == "uniform":
        return lambda rng: lambda: lo + below(rng, hi - lo + 1)
    if spec.dist == "zipf":
        n, s = hi - lo + 1, spec.zipf
        return lambda rng: lambda: lo + zipf_rank(rng, n, s)
    if spec.dist == "sequence":
        return lambda rng: _sequence(spec)
    if spec.dist == "small":
        return lambda rng: lambda: min(hi, lo + _geometric(rng, spec.mean))
    if spec.dist == "normal":
        mean, sd = spec.mean, spec.sd
        return lambda rng: lambda: clamp(mean + sd * normal(rng))
    mean, sd = spec.mean, spec.sd  # lognormal
    return lambda rng: lambda: clamp(math.exp(min(mean + sd * normal(rng), 709.0)))


def _sequence(spec: IntSpec) -> Make:
    current = spec.start

    def make() -> int:
        nonlocal current
        value = current
        current += spec.step
        if not spec.lo <= current <= spec.hi:
            current = spec.start  # past the end of the range: start over
        return value

    return make


def _geometric(rng: random.Random, mean: float) -> int:
    """Failures before a success: most values 0 or 1, a long thin tail (counters, retries)."""
    if mean <= 0:
        return 0
    u = rng.random()
    return int(math.log(1.0 - u) / math.log(mean / (mean + 1.0)))


def _float(spec: FloatSpec) -> Binder:
    lo, hi, mean, sd, k = spec.lo, spec.hi, spec.mean, spec.sd, spec.precision
    f32 = spec.type == "float32"

    def finish(x: float) -> float:
        x = lo if x < lo else hi if x > hi else x
        if k is not None:
            x = round(x, k)
        if f32:
            x = _F32.unpack(_F32.pack(x))[0]
        return x + 0.0  # -0.0 from rounding a tiny negative reads oddly: make it 0.0

    if spec.dist == "uniform":
        return lambda rng: lambda: finish(_mix(lo, hi, rng.random()))
    if spec.dist == "normal":
        return lambda rng: lambda: finish(mean + sd * normal(rng))
    return lambda rng: lambda: finish(math.exp(min(mean + sd * normal(rng), 709.0)))


def _mix(lo: float, hi: float, u: float) -> float:
    # Not lo + (hi - lo) * u: hi - lo overflows for ranges near the float64 limits.
    return lo * (1.0 - u) + hi * u


# -- timestamps, bytes -------------------------------------------------------------------
def _time(spec: TimeSpec) -> Binder:
    def bind(rng: random.Random) -> Make:
        now = spec.start_us

        def make() -> datetime:
            nonlocal now
            gap = spec.step + spec.jitter * (2.0 * rng.random() - 1.0)
            # At least a microsecond: strictly increasing whatever the jitter; the clock
            # stops at the end of year 9999, the last instant a timestamp can hold.
            now = min(now + max(1, round(gap * 1e6)), MAX_US)
            return EPOCH + timedelta(microseconds=now)

        return make

    return bind


_NS_PER_S = 1_000_000_000
MAX_NS = MAX_US * 1000 + 999


def _time_ns(spec: TimeSpec) -> Binder:
    """As ``_time``, with a clock that counts nanoseconds (``precision: ns``)."""

    def bind(rng: random.Random) -> Make:
        now = spec.start_us * 1000

        def make() -> datetime:
            nonlocal now
            gap = spec.step + spec.jitter * (2.0 * rng.random() - 1.0)
            now = min(now + max(1, round(gap * 1e9)), MAX_NS)
            return Timestamp.from_parts(*divmod(now, _NS_PER_S))

        return make

    return bind


def _duration(spec: DurationSpec) -> Binder:
    lo_ns, hi_ns = round(spec.lo * _NS_PER_S), round(spec.hi * _NS_PER_S)
    unit = spec.unit_ns
    log_median = math.log(spec.median)

    def bind(rng: random.Random) -> Make:
        def make() -> timedelta:
            if spec.dist == "uniform":
                seconds = _mix(spec.lo, spec.hi, rng.random())
            else:  # latencies, timeouts, lifetimes: most short, a long tail
                seconds = math.exp(min(log_median + spec.sd * normal(rng), 700.0))
            ns = min(max(round(seconds * _NS_PER_S), lo_ns), hi_ns)
            ns = ns // unit * unit  # whole units, never outside the range (lo rounds up)
            if ns < lo_ns:
                ns += unit
            return Duration.from_parts(0, ns)

        return make

    return bind


def _bytes(spec: BytesSpec) -> Binder:
    span = spec.length
    if spec.kind == "random":

        def random_bytes(rng: random.Random) -> Make:
            def make() -> bytes:
                n = _between(rng, span)
                return rng.getrandbits(8 * n).to_bytes(n, "little")

            return make

        return random_bytes
    words = string_maker("word", None, 1.1)

    def text_bytes(rng: random.Random) -> Make:
        def make() -> bytes:
            n = _between(rng, span)
            parts: list[str] = []
            size = -1  # the length of the parts joined by spaces
            while size < n:
                parts.append(words(rng))
                size += len(parts[-1]) + 1
            return " ".join(parts).encode("ascii")[:n]

        return make

    return text_bytes
