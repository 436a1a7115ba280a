"""Dataset generation: determinism, validity, hints honoured, bad hints refused, laziness, CLI.

Every statistical check uses a fixed seed, so it either always passes or always fails; the
tolerances are wide enough for any seed, so a change of algorithm does not break them.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.errors import SchemaError
from fmtbench.generate import (
    DatasetError,
    HintError,
    RecordGenerator,
    builtin_datasets,
    load_dataset,
    make_job,
    summarize,
    write_generated,
)
from fmtbench.generate import dataset as dataset_module
from fmtbench.generate.guess import BOOL_RULES, BYTES_RULES, FLOAT_RULES, INT_RULES, STRING_RULES
from fmtbench.schema import Schema, parse_schema
from tests.samples import assert_same, order_schema, same, sensor_schema

ENDING = {name: f.extensions[0] for name, f in FORMATS.items()}
MULTI = [f for f in FORMATS if f != "protobuf"]  # formats that hold many records

# Every scalar type, enums in lists and maps, messages in lists, maps and optionals,
# and recursion through all three.
KITCHEN = """
schema: t.kitchen
root: Doc
enums:
  Colour: [RED, GREEN, BLUE]
messages:
  Doc:
    fields:
      id: uint64 = 1
      b: bool = 2
      i32: int32 = 3
      i64: int64 = 4
      u32: uint32 = 5
      f32: float32 = 6
      f64: float64 = 7
      s: string = 8
      raw: bytes = 9
      at: timestamp = 10
      colour: Colour = 11
      colours: list<Colour> = 12
      by_colour: map<string, Colour> = 13
      by_int: map<int64, Doc> = 14
      flags: map<bool, string> = 15
      kids: list<Doc> = 16
      parent: optional Doc = 17
      maybe: optional float32 = 18
      leaf: Leaf = 19
  Leaf:
    fields:
      words: list<string> = 1
      when: optional timestamp = 2
"""


def schema_of(text: str) -> Schema:
    return parse_schema(text, "<test>")


def one_field(decl: str, gen: str | None = None, name: str = "v") -> Schema:
    """A schema with a single field ``name`` of the given type (and ``gen:`` hints)."""
    optional = decl.startswith("optional ")
    type_text = decl.removeprefix("optional ")
    spec = f"{{type: '{type_text}', tag: 1, optional: {str(optional).lower()}"
    spec += f", gen: {gen}}}" if gen else "}"
    return schema_of(
        f"schema: t.one\nenums:\n  E: [A, B, C]\nmessages:\n  M:\n    fields:\n      {name}: {spec}\n"
    )


def values(schema: Schema, n: int, field: str = "v", seed: int = 1, **kw: Any) -> list[Any]:
    return [r[field] for r in RecordGenerator(schema, seed=seed, **kw).records(n) if field in r]


def depth(record: dict[str, Any], kids: str = "kids", parent: str = "parent") -> int:
    below = [*record.get(kids, []), *([record[parent]] if parent in record else [])]
    below += list(record.get("by_int", {}).values())
    return 1 + max((depth(r, kids, parent) for r in below), default=-1)


# -- determinism -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_same_seed_gives_the_same_bytes_in_every_format(fmt: str) -> None:
    schema = order_schema()
    codec = codec_for(fmt, schema)

    def encoded(seed: int) -> bytes:
        records = list(RecordGenerator(schema, seed=seed).records(30))
        if fmt == "protobuf":  # one message a file: compare the messages one by one
            return b"".join(codec.encode(r) for r in records)
        return codec.encode_many(records)

    assert encoded(5) == encoded(5)
    assert encoded(5) != encoded(6)


def test_records_restart_from_the_seed_and_prefixes_are_stable() -> None:
    gen = RecordGenerator(sensor_schema(), seed=3)
    first = list(gen.records(12))
    assert_same(list(gen.records(12)), first)
    assert_same(list(gen.records(4)), first[:4])
    assert not same(list(RecordGenerator(sensor_schema(), seed=4).records(12)), first)


def test_hinting_one_field_leaves_the_others_unchanged() -> None:
    plain = list(RecordGenerator(order_schema(), seed=2).records(20))
    hinted = list(
        RecordGenerator(
            order_schema(), seed=2, hints={"Order.note": {"kind": "text", "presence": 1.0}}
        ).records(20)
    )
    assert [r.get("note") for r in plain] != [r.get("note") for r in hinted]
    for a, b in zip(plain, hinted, strict=True):
        a.pop("note", None)
        b.pop("note", None)
        assert_same(a, b)


def test_output_does_not_depend_on_the_hash_seed_or_the_process() -> None:
    schema = order_schema()
    expected = codec_for("msgpack", schema).encode_many(
        list(RecordGenerator(schema, seed=7).records(40))
    )
    cmd = [sys.executable, "-m", "fmtbench", "generate", "--schema", "order"]
    cmd += ["-n", "40", "--seed", "7", "-o", "-", "--to", "msgpack", "-q"]
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(cmd, capture_output=True, check=False, env=env)
        assert done.returncode == 0, done.stderr
        assert hashlib.sha256(done.stdout).hexdigest() == hashlib.sha256(expected).hexdigest()


# -- validity ----------------------------------------------------------------------------
def assert_valid_everywhere(schema: Schema, records: list[dict[str, Any]]) -> None:
    for record in records:
        assert_same(validate(schema, record), record)  # canonical already: unchanged
    for fmt in FORMATS:
        codec = codec_for(fmt, schema)
        for record in records:
            assert_same(codec.decode(codec.encode(record)), record)
        if fmt in MULTI:
            assert_same(codec.decode_many(codec.encode_many(records)), records)


@pytest.mark.parametrize(
    ("make_schema", "n", "max_depth"),
    [
        (order_schema, 40, 3),
        (sensor_schema, 6, 3),
        (lambda: schema_of(KITCHEN), 15, 2),
        (lambda: schema_of(KITCHEN), 30, 0),
    ],
    ids=["order", "sensor", "kitchen", "kitchen-flat"],
)
def test_every_record_is_valid_and_round_trips_every_codec(
    make_schema: Any, n: int, max_depth: int
) -> None:
    schema = make_schema()
    for seed in (0, 1):
        records = list(RecordGenerator(schema, seed=seed, max_depth=max_depth).records(n))
        assert len(records) == n
        assert_valid_everywhere(schema, records)


def test_recursion_stops_at_max_depth() -> None:
    schema = schema_of(KITCHEN)
    for limit in (0, 1, 2):
        records = list(RecordGenerator(schema, seed=1, max_depth=limit).records(40))
        assert max(depth(r) for r in records) == limit  # reached, never exceeded
    flat = list(RecordGenerator(schema, seed=1, max_depth=0).records(40))
    assert all(r["kids"] == [] and "parent" not in r and r["by_int"] == {} for r in flat)
    assert all("leaf" in r for r in flat)  # a required message is always there


def test_generated_strings_are_free_of_what_xml_cannot_carry() -> None:
    bad = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

    def strings(v: Any) -> Iterator[str]:
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for k, x in v.items():
                yield from strings(k)
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    for r in RecordGenerator(order_schema(), seed=9).records(300):
        assert not any(bad.search(s) for s in strings(r))


# -- defaults look like data -------------------------------------------------------------
def test_default_order_records_look_like_orders() -> None:
    records = list(RecordGenerator(order_schema(), seed=1).records(400))
    assert [r["id"] for r in records] == list(range(1, 401))  # the record's id: a sequence
    times = [r["placed_at"] for r in records]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert times[0] > datetime(2024, 1, 1, tzinfo=UTC)
    emails = [r["customer"]["email"] for r in records]
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9.]+\.[a-z]+", e) for e in emails)
    assert all(" " in r["customer"]["name"] for r in records)
    countries = [r["customer"]["address"]["country"] for r in records if "address" in r["customer"]]
    assert all(re.fullmatch("[A-Z]{2}", c) for c in countries)
    lines = [line for r in records for line in r["lines"]]
    assert all(re.fullmatch(r"[A-Z]{2,3}-[0-9]{4,6}", line["sku"]) for line in lines)
    assert statistics.median(line["quantity"] for line in lines) <= 3  # small counters
    assert all(0 <= len(r["lines"]) <= 5 and len(r["labels"]) <= 4 for r in records)
    notes = sum("note" in r for r in records) / len(records)
    assert 0.6 < notes < 0.8  # optionals present about 70% of the time
    statuses = Counter(r["status"] for r in records)
    assert statuses["PENDING"] > statuses["CANCELLED"]  # skewed towards early values
    customer_ids = Counter(r["customer"]["id"] for r in records)
    assert customer_ids.most_common(1)[0][1] >= 5  # foreign keys repeat


def test_names_pick_a_kind() -> None:
    schema = schema_of(
        """
schema: t.names
messages:
  Hit:
    fields:
      url: string = 1
      client_ip: string = 2
      request_id: string = 3
      user_agent: string = 4
      method: string = 5
      latency_ms: uint32 = 6
      hostname: string = 7
      path: string = 8
      city: string = 9
      description: string = 10
      title: string = 11
"""
    )
    records = list(RecordGenerator(schema, seed=4).records(300))
    assert all(r["url"].startswith("https://") for r in records)
    assert all(re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", r["client_ip"]) for r in records)
    assert all(
        re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", r["request_id"]
        )
        for r in records
    )
    assert all(r["user_agent"] for r in records)
    assert Counter(r["method"] for r in records).most_common(1)[0][0] == "GET"
    latencies = sorted(r["latency_ms"] for r in records)
    assert latencies[-1] > 4 * latencies[len(latencies) // 2]  # a long right tail
    assert all("." in r["hostname"] and " " not in r["hostname"] for r in records)
    assert all(r["path"].startswith("/") for r in records)
    assert len({r["city"] for r in records}) > 10
    assert statistics.mean(len(r["description"].split()) for r in records) > 10
    assert all(r["title"].istitle() or not r["title"] for r in records)


@pytest.mark.parametrize(
    ("type_name", "rules"),
    [
        ("string", STRING_RULES),
        ("int32", INT_RULES),
        ("uint64", INT_RULES),
        ("float32", FLOAT_RULES),
        ("float64", FLOAT_RULES),
        ("bytes", BYTES_RULES),
        ("bool", BOOL_RULES),
    ],
)
def test_every_guess_rule_is_a_valid_hint(type_name: str, rules: Any) -> None:
    names = sorted({p.replace("*", "x") for patterns, _ in rules for p in patterns})
    fields = "\n".join(f"      {n}: {type_name} = {i}" for i, n in enumerate(names, 1))
    schema = schema_of(f"schema: t.guess\nmessages:\n  G:\n    fields:\n{fields}\n")
    records = list(RecordGenerator(schema, seed=1).records(5))
    for r in records:
        assert_same(validate(schema, r), r)


# -- hints honoured ----------------------------------------------------------------------
def test_integer_range_and_uniform_spread() -> None:
    got = values(one_field("int32", "{range: [-5, 5]}"), 2000)
    assert min(got) == -5
    assert max(got) == 5
    assert len(set(got)) == 11


def test_integer_distributions() -> None:
    seq = values(one_field("uint64", "{dist: sequence, start: 10, step: 5}"), 50)
    assert seq == list(range(10, 260, 5))
    wrap = values(one_field("int32", "{dist: sequence, range: [0, 2], start: 0}"), 7)
    assert wrap == [0, 1, 2, 0, 1, 2, 0]
    normal = values(one_field("int64", "{dist: normal, mean: 500, sd: 40}"), 3000)
    assert abs(statistics.mean(normal) - 500) < 5
    assert 34 < statistics.stdev(normal) < 46
    small = values(one_field("uint32", "{dist: small, range: [1, 50], mean: 1.5}"), 3000)
    assert min(small) == 1
    assert max(small) <= 50
    assert Counter(small).most_common(1)[0][0] == 1
    assert 2.2 < statistics.mean(small) < 2.8
    logn = values(one_field("int64", "{dist: lognormal, mean: 3, sd: 1, range: [0, 10000]}"), 3000)
    assert 15 < statistics.median(logn) < 25
    assert max(logn) > 200
    zipf = Counter(values(one_field("int32", "{dist: zipf, range: [1, 1000000]}"), 3000))
    assert zipf.most_common(1)[0][0] == 1
    assert zipf[1] > 200
    assert zipf[1] > 5 * zipf[10]
    assert statistics.median(zipf.elements()) < 5000  # most mass low in a million-wide range


def test_floats_range_distribution_and_precision() -> None:
    got = values(one_field("float64", "{range: [2.5, 3.5], precision: 2}"), 2000)
    assert min(got) >= 2.5
    assert max(got) <= 3.5
    assert all(round(v, 2) == v for v in got)
    f32 = values(one_field("float32", "{dist: normal, mean: 10, sd: 2, precision: 1}"), 2000)
    as32 = struct.Struct("<f")
    assert all(as32.unpack(as32.pack(round(v, 1)))[0] == v for v in f32)
    assert abs(statistics.mean(f32) - 10) < 0.2
    logn = values(one_field("float64", "{dist: lognormal, mean: 0, sd: 0.5}"), 2000)
    assert min(logn) > 0
    assert 0.9 < statistics.median(logn) < 1.1
    clamped = values(one_field("float64", "{dist: normal, mean: 0, sd: 10, range: [-1, 1]}"), 500)
    assert min(clamped) == -1
    assert max(clamped) == 1
    assert all(
        math.copysign(1, v) == 1
        for v in values(one_field("float64", "{range: [-0.001, 0.001], precision: 2}"), 200)
        if v == 0
    )


def test_string_lengths() -> None:
    words = values(one_field("string", "{kind: word, len: [3, 4]}"), 500)
    assert {len(w) for w in words} == {3, 4}
    long = values(one_field("string", "{kind: word, len: [40, 50]}"), 200)
    assert all(40 <= len(w) <= 50 and w.isalpha() for w in long)
    hexes = values(one_field("string", "{kind: hex, len: 12}"), 100)
    assert all(re.fullmatch("[0-9a-f]{12}", h) for h in hexes)
    sentences = values(one_field("string", "{kind: sentence, len: [2, 5]}"), 500)
    assert {len(s.split()) for s in sentences} == {2, 3, 4, 5}
    assert all(s[0].isupper() and s.endswith(".") for s in sentences)
    text = values(one_field("string", "{kind: text, len: [30, 30]}"), 50)
    assert all(len(t.split()) == 30 for t in text)


def test_vocab_sizes_and_literals() -> None:
    emails = values(one_field("string", "{kind: email, vocab: 25}"), 3000)
    assert len(set(emails)) == 25
    assert all("@" in e for e in emails)
    guessed = values(one_field("string", "{vocab: 10}", name="email"), 1000, field="email")
    assert len(set(guessed)) == 10
    assert all("@" in e for e in guessed)
    literal = values(one_field("string", "{vocab: [x, y, z], zipf: 0}"), 900)
    counts = Counter(literal)
    assert set(counts) == {"x", "y", "z"}
    assert min(counts.values()) > 250
    cities = values(one_field("string", "{kind: city, vocab: 1000}"), 5000)
    assert 60 <= len(set(cities)) <= 70  # at most the built-in list
    many_words = values(one_field("string", "{kind: word, vocab: 600, zipf: 0}"), 6000)
    assert len(set(many_words)) > 550


def test_zipf_makes_the_top_value_far_more_common_than_the_median() -> None:
    draws = values(one_field("string", "{kind: sku, vocab: 100}"), 5000)
    counts = Counter(draws)
    per_value = sorted(counts.values(), reverse=True) + [0] * (100 - len(counts))
    assert per_value[0] >= 10 * statistics.median(per_value)
    flat = Counter(values(one_field("string", "{kind: sku, vocab: 100, zipf: 0}"), 5000))
    assert max(flat.values()) < 3 * statistics.median(flat.values())


def test_presence_rate() -> None:
    for p in (0.0, 0.3, 1.0):
        schema = one_field("optional string", f"{{presence: {p}}}")
        present = len(values(schema, 3000)) / 3000
        assert abs(present - p) < 0.03


def test_timestamps_increase_from_start() -> None:
    gen = "{start: '2030-05-01T12:00:00Z', step: 10, jitter: 9}"
    got = values(one_field("timestamp", gen), 1000)
    start = datetime(2030, 5, 1, 12, tzinfo=UTC)
    assert start < got[0] <= datetime(2030, 5, 1, 12, 0, 19, tzinfo=UTC)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(got)]
    assert min(gaps) > 0
    assert min(gaps) >= 1
    assert max(gaps) <= 19
    assert abs(statistics.mean(gaps) - 10) < 0.5
    assert all(t.tzinfo is UTC for t in got)
    unquoted = values(one_field("timestamp", "{start: 2030-05-01, step: 1, jitter: 5}"), 200)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(unquoted)]
    assert min(gaps) > 0  # strictly increasing even when the jitter exceeds the step


def test_enum_weights() -> None:
    counts = Counter(values(one_field("E", "{weights: {A: 3, B: 1}}"), 4000))
    assert counts["C"] == 0
    assert 2.6 < counts["A"] / counts["B"] < 3.4
    default = Counter(values(one_field("E"), 4000))
    assert default["A"] > default["B"] > default["C"] > 0


def test_bools_bytes_lists_and_maps() -> None:
    flags = values(one_field("bool", "{true_rate: 0.2}"), 3000)
    assert abs(sum(flags) / 3000 - 0.2) < 0.03
    blobs = values(one_field("bytes", "{len: [10, 20], kind: text}"), 200)
    assert all(10 <= len(b) <= 20 and b.isascii() for b in blobs)
    assert {len(b) for b in values(one_field("bytes", "{len: 7}"), 50)} == {7}
    lists = values(one_field("list<int32>", "{len: [2, 3], items: {range: [7, 8]}}"), 300)
    assert {len(x) for x in lists} == {2, 3}
    assert {i for x in lists for i in x} == {7, 8}
    maps = values(
        one_field(
            "map<int32, string>", "{len: [1, 3], keys: {range: [0, 9]}, values: {kind: uuid}}"
        ),
        300,
    )
    assert {len(m) for m in maps} == {1, 2, 3}
    assert all(0 <= k <= 9 and len(v) == 36 for m in maps for k, v in m.items())
    bools = values(one_field("map<bool, E>", "{len: [5, 5]}"), 50)
    assert all(len(m) <= 2 for m in bools)  # only two distinct keys exist


def test_profile_hints_override_schema_hints() -> None:
    schema = one_field("string", "{kind: email, vocab: 5}")
    got = values(schema, 200, hints={"M.v": {"vocab": ["a", "b"]}})
    assert set(got) == {"a", "b"}
    kept = values(schema, 500, hints={"M.v": {"vocab": 3}})
    assert len(set(kept)) == 3
    assert all("@" in v for v in kept)


# -- bad hints ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("decl", "gen", "needle"),
    [
        (
            "string",
            "{lenn: [1, 2]}",
            "M.v: unknown hint 'lenn' for a string field; did you mean 'len'?",
        ),
        ("string", "{kind: emial}", "unknown kind 'emial'; did you mean 'email'?"),
        ("string", "{kind: email, len: [1, 5]}", "len does not apply to kind 'email'"),
        ("string", "{len: [5, 1]}", "len must be [min, max]"),
        ("string", "{kind: email, zipf: 2}", "zipf skews vocab draws"),
        ("string", "{vocab: [a, 3]}", "non-empty list of strings"),
        ("string", '{vocab: ["a\\x01b"]}', "control character"),
        ("string", "{vocab: 0}", "vocab must be between 1"),
        ("int32", "{range: [0, 5000000000]}", "does not fit int32"),
        ("uint32", "{range: [-1, 5]}", "does not fit uint32"),
        ("int32", "{dist: uniform, sd: 3}", "'sd' does not apply to dist 'uniform'"),
        ("int32", "{dist: gaussian}", "unknown dist 'gaussian'"),
        ("int32", "{dist: sequence, step: 0}", "step must not be 0"),
        ("float64", "{precision: -1}", "precision must be between 0 and 15"),
        ("float32", "{range: [0, 1.0e+39]}", "beyond the type's largest value"),
        ("float64", "{range: [1, .nan]}", "finite numbers"),
        ("timestamp", "{start: yesterday}", "start: expected an RFC 3339 timestamp"),
        ("timestamp", "{step: 0}", "step must be between"),
        ("E", "{weights: {A: 1, D: 2}}", "weights: 'D' is not a value of E"),
        ("E", "{weights: {A: 0}}", "at least one weight must be above 0"),
        ("int32", "{presence: 0.5}", "presence applies only to optional fields"),
        ("optional string", "{presence: 2}", "presence must be between 0 and 1"),
        ("bool", "{true_rate: yes}", "true_rate must be a number"),
        ("bytes", "{kind: zip}", "unknown kind 'zip'"),
        ("list<string>", "{kind: word}", "unknown hint 'kind' for a list field"),
        ("list<string>", "{items: {kind: nope}}", "M.v items: unknown kind 'nope'"),
        ("map<string, int32>", "{values: {range: [3, 1]}}", "M.v values: range must be [lo, hi]"),
        ("map<int32, string>", "{keys: {kind: word}}", "M.v keys: unknown hint 'kind'"),
        ("list<M>", "{items: {len: 1}}", "M values take no items hints"),
        ("optional M", "{len: 1}", "a M field takes no hints of its own"),
    ],
)
def test_bad_hints_are_refused_naming_the_field(decl: str, gen: str, needle: str) -> None:
    schema = one_field(decl, gen)
    with pytest.raises(HintError) as info:
        RecordGenerator(schema)
    assert needle in str(info.value)
    assert "M.v" in str(info.value)
    assert isinstance(info.value, SchemaError)  # the CLI reports it as a bad schema: status 1


def test_bad_hint_keys_name_the_field() -> None:
    with pytest.raises(HintError, match=r"did you mean 'Order\.note'"):
        RecordGenerator(order_schema(), hints={"Order.nte": {}})
    with pytest.raises(HintError, match=r"'Nope\.x' is not a field"):
        RecordGenerator(order_schema(), hints={"Nope.x": {}})
    with pytest.raises(HintError, match=r"Order\.note: hints must be a mapping"):
        RecordGenerator(order_schema(), hints={"Order.note": 3})  # type: ignore[dict-item]
    with pytest.raises(HintError, match="guessed from the name 'email'"):
        RecordGenerator(order_schema(), hints={"Customer.email": {"len": [3, 9]}})
    with pytest.raises(HintError, match="max_depth"):
        RecordGenerator(order_schema(), max_depth=-1)


# -- laziness ----------------------------------------------------------------------------
def test_records_is_a_lazy_iterator() -> None:
    stream = RecordGenerator(order_schema()).records(10**12)  # nothing is made up front
    assert iter(stream) is stream
    assert next(stream)["id"] == 1
    assert next(stream)["id"] == 2


def _peak(n: int) -> int:
    gen = RecordGenerator(order_schema(), seed=1)
    tracemalloc.start()
    try:
        for _ in gen.records(n):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_record_count() -> None:
    small, large = _peak(2_000), _peak(20_000)
    assert large < 1_000_000  # far below what 20000 records held at once would take
    assert large < 1.5 * small + 100_000


# -- profiles ----------------------------------------------------------------------------
PROFILE = """
dataset: shop
schema: {schema}
type: Order
description: Orders for the tests
stresses: everything a bit
records: 12
seed: 4
max_depth: 2
hints:
  Order.note: {{kind: title, presence: 1.0}}
  LineItem.quantity: {{range: [3, 3]}}
"""


def write_profile(tmp_path: Path, schema_ref: str = "order", **changes: str) -> Path:
    text = PROFILE.format(schema=schema_ref)
    for key, value in changes.items():
        text = re.sub(rf"(?m)^{key}:.*$", value, text)
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    return path


def test_profile_loads_and_drives_the_generator(tmp_path: Path) -> None:
    ds = load_dataset(write_profile(tmp_path))
    assert (ds.name, ds.type_name, ds.records, ds.seed, ds.max_depth) == ("shop", "Order", 12, 4, 2)
    assert ds.description == "Orders for the tests"
    assert ds.stresses == "everything a bit"
    records = list(ds.generator().records(ds.records))
    assert all(r["note"].istitle() for r in records)
    assert {line["quantity"] for r in records for line in r["lines"]} == {3}
    assert_same(
        records, list(RecordGenerator(ds.schema, "Order", hints=ds.hints, seed=4).records(12))
    )
    assert not same(list(ds.generator(seed=5).records(12)), records)


def test_profile_schema_path_is_relative_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "mine.yaml").write_text(
        "schema: t.mine\nroot: Order\nmessages:\n  Order:\n    fields:\n      note: optional string = 1\n"
        "  LineItem:\n    fields:\n      quantity: uint32 = 1\n"
    )
    ds = load_dataset(write_profile(tmp_path, schema_ref="schemas/mine.yaml"))
    assert ds.schema.name == "t.mine"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"records": "recrods: 5"}, "unknown key 'recrods'; did you mean 'records'?"),
        ({"schema": "schema: nope"}, "schema 'nope' is neither a file"),
        ({"type": "type: Orderr"}, "has no message type 'Orderr'"),
        ({"seed": "seed: x"}, "'seed' must be a whole number"),
        ({"max_depth": "max_depth: -1"}, "'max_depth' must be a whole number >= 0"),
        ({"dataset": "dataset: [1]"}, "'dataset' must be given as a non-empty string"),
        ({"stresses": "stresses: {a: 1}"}, "'stresses' must be a string"),
    ],
)
def test_bad_profiles_are_refused(tmp_path: Path, change: dict[str, str], needle: str) -> None:
    path = write_profile(tmp_path, **change)
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert str(info.value).startswith(f"{path}: ")
    assert needle in str(info.value)


def test_bad_hint_in_a_profile_names_profile_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("dataset: p\nschema: order\nhints:\n  LineItem.sku: {kind: skew}\n")
    with pytest.raises(DatasetError, match=r"p\.yaml: LineItem\.sku: unknown kind 'skew'"):
        load_dataset(path)
    with pytest.raises(DatasetError, match="not a built-in dataset"):
        load_dataset("no-such-dataset")


def test_builtin_datasets_are_sorted_names() -> None:
    names = builtin_datasets()
    assert names == sorted(names)
    assert all(isinstance(n, str) and "." not in n for n in names)


# -- the CLI -----------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("fmt", MULTI)
def test_generate_writes_the_same_bytes_as_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    profile = write_profile(tmp_path)
    out = tmp_path / f"out{ENDING[fmt]}"
    status, _, err = run(capsys, "generate", str(profile), "-o", str(out))
    assert status == 0, err
    assert f"12 shop records (seed 4) -> {fmt}: {out}" in err
    ds = load_dataset(profile)
    codec = codec_for(fmt, ds.schema, "Order")
    assert out.read_bytes() == codec.encode_many(list(ds.generator().records(12)))
    again = tmp_path / f"again{ENDING[fmt]}"
    assert run(capsys, "generate", str(profile), "-o", str(again), "-q") == (0, "", "")
    assert again.read_bytes() == out.read_bytes()


def test_generate_from_a_schema_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "generate", "-s", "sensor", "-n", "3", "--seed", "2", "-o", "-", "--to", "jsonl"
    )
    assert status == 0, err
    expected = codec_for("jsonl", sensor_schema()).encode_many(
        list(RecordGenerator(sensor_schema(), seed=2).records(3))
    )
    assert out.encode() == expected
    assert err == "3 Reading records (seed 2) -> jsonl: stdout\n"


@pytest.mark.parametrize(
    ("args", "status", "needle"),
    [
        (["-s", "order", "-n", "2", "-o", "-"], 2, "needs --to FORMAT"),
        (["order", "-s", "order", "-n", "2", "-o", "x.json"], 2, "one of the two"),
        (["-n", "2", "-o", "x.json"], 2, "one of the two"),
        (["-s", "order", "-o", "x.json"], 2, "--records N is needed"),
        (["-s", "order", "-n", "2"], 2, "-o FILE"),
        (["-s", "order", "-n", "2", "-o", "x.txt"], 2, "cannot tell the format"),
        (["-s", "order", "-n", "2", "-o", "x.json", "--to", "yaml"], 2, "unknown format 'yaml'"),
        (["-s", "order", "-n", "-1", "-o", "x.json"], 2, "--records must be 0 or more"),
        (["-s", "order", "-t", "Nope", "-n", "2", "-o", "x.json"], 2, "no message type 'Nope'"),
        (["no-such-dataset", "-o", "x.json"], 1, "not a built-in dataset"),
        (["-s", "order", "-n", "3", "-o", "x.pb"], 1, "x.pb: record 2: "),
    ],
)
def test_generate_failures_leave_no_output(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    status: int,
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    got, out, err = run(capsys, "generate", *args)
    assert got == status
    assert needle in err
    assert err.startswith("fmtbench: error: ")
    assert err.count("\n") == 1
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file


def test_bad_profile_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = write_profile(tmp_path, records="records: many")
    out = tmp_path / "o.json"
    status, _, err = run(capsys, "generate", str(profile), "-o", str(out))
    assert status == 1
    assert "'records' must be a whole number" in err
    assert not out.exists()


def test_write_generated_streams(tmp_path: Path) -> None:
    """The file path streams too: memory at 20000 records is that of 2000."""

    def peak(n: int) -> int:
        job = make_job(None, "order", records=n, seed=1)
        tracemalloc.start()
        try:
            write_generated(job, str(tmp_path / f"o{n}.jsonl"))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(10_000)
    assert large < 1.5 * small + 200_000
    assert (tmp_path / "o10000.jsonl").read_bytes().count(b"\n") == 10_000


def test_datasets_lists_each_builtin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "b.yaml").write_text(
        "dataset: b\nschema: sensor\nstresses: deep trees\nmax_depth: 1\nseed: 3\n"
    )
    (folder / "a.yaml").write_text(
        PROFILE.format(schema="order").replace("dataset: shop", "dataset: a")
    )
    (folder / "notes.txt").write_text("not a profile")
    monkeypatch.setattr(dataset_module, "datasets_folder", lambda: folder)
    assert builtin_datasets() == ["a", "b"]
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["a", "shop.order.Order"],
        ["b", "iot.sensor.Reading"],
    ]
    assert lines[0].endswith("/record  everything a bit")
    assert lines[1].endswith("/record  deep trees")
    size = summarize(load_dataset("b")).json_bytes
    expected = f"{size:.0f} B" if size < 1024 else f"{size / 1024:.1f} KiB"
    assert expected in lines[1]
    sample = list(load_dataset("b").generator().records(50))
    codec = codec_for("json", sensor_schema())
    assert size == sum(len(codec.encode(r)) for r in sample) / 50
