"""The conformance suite: what every registered format must do, built-in or plugin.

A format gets these tests by registering, nothing else: every test is parametrized over
``list(FORMATS)`` at collection time, so a built-in package's ``FORMATS`` entry and an
installed plugin's ``fmtbench.formats`` entry point are treated alike. What differs between
formats is read from the entry's fields (``many_records``, ``single_form``, ``concatenates``,
``extensions``), never from its name. For each format:

1. Round trips: 20 records of every built-in dataset, one message at a time and as a file
   (writer, then reader); the one-record form where the entry declares one; files joined
   end to end where it declares ``concatenates``.
2. Edge values: the hand-written records of ``tests/samples.py``, and a Hypothesis property
   over generated records of every schema in ``tests.strategies.SCHEMAS``.
3. Hostile input: every truncation of a valid file and of one message, flipped bytes,
   garbage and an empty input give records or a ``FmtbenchError``, never another exception
   and never a hang.
4. Limits: a record over ``max_record_bytes`` and one nested past ``max_depth`` are refused.
5. Atomic output: a ``convert`` into the format that fails leaves no file, no temporary
   file, and an existing output with its content and mode; one that succeeds round-trips.

Records are XML-safe throughout: XML 1.0 cannot carry some characters (a documented limit,
tested in test_properties.py), and a shared suite holds every format to the same records.
"""

from __future__ import annotations

import io
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench import convert
from fmtbench.codecs import FORMATS, Codec, Record, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.errors import DecodeError, EncodeError, FmtbenchError, LimitError
from fmtbench.generate import Dataset, builtin_datasets, load_dataset
from fmtbench.limits import DEFAULT_LIMITS, DEFAULT_MAX_DEPTH, Limits
from tests.samples import ORDERS, SENSORS, assert_same, same
from tests.strategies import SCHEMAS, records, schema_named

FORMAT_NAMES = list(FORMATS)
DATASETS = builtin_datasets()
PER_DATASET = 20
#: A quarter of the profile's examples (default 60 -> 15): 7 formats x 5 schemas add up.
EXAMPLES = max(5, settings().max_examples // 4)


def formats_where(**fields: Any) -> list[str]:
    """The formats whose entries have these field values (none: pytest skips the test)."""
    return [n for n in FORMAT_NAMES if all(getattr(FORMATS[n], k) == v for k, v in fields.items())]


# -- helpers ---------------------------------------------------------------------------------
@cache
def dataset(name: str) -> tuple[Dataset, list[Record]]:
    d = load_dataset(name)
    return d, list(d.generator().records(PER_DATASET))


@cache
def codec(fmt: str, schema: str, limits: Limits = DEFAULT_LIMITS) -> Codec:
    return codec_for(fmt, schema_named(schema), limits=limits)


def files_of(fmt: str, recs: list[Record]) -> list[list[Record]]:
    """How ``recs`` are stored as files of ``fmt``: all in one, or one record per file."""
    return [recs] if FORMATS[fmt].many_records else [[r] for r in recs]


def write(c: Codec, recs: list[Record], *, single: bool = False) -> bytes:
    buf = io.BytesIO()
    w = c.writer(buf, single=single)
    for r in recs:
        w.write(r)
    w.close()
    return buf.getvalue()


def read(c: Codec, data: bytes) -> list[Record]:
    # Every record takes a byte of the file at least (a zero-length protobuf message a byte
    # of length prefix; alone, the whole file): more than that is a reader that never ends.
    got = list(islice(c.reader(io.BytesIO(data)), len(data) + 2))
    assert len(got) <= len(data) + 1, f"{len(got)} records from {len(data)} bytes"
    return got


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a parser looping in Python; C loops cannot be stopped)."""

    def expired(signum: int, frame: object) -> None:
        # pytest.fail raises a BaseException: no ``except Exception`` in a codec swallows it.
        pytest.fail(f"still decoding after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- 1. round trips of the built-in datasets -------------------------------------------------
@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_dataset_round_trips_as_messages_and_files(fmt: str, name: str) -> None:
    d, recs = dataset(name)
    c = codec_for(fmt, d.schema, d.type_name)
    for r in recs:
        assert_same(c.decode(c.encode(r)), r)
    for file in files_of(fmt, recs):
        assert_same(read(c, write(c, file)), file)


@pytest.mark.parametrize("fmt", formats_where(single_form=True))
def test_one_record_form_reads_back_as_one(fmt: str) -> None:
    d, recs = dataset("order")
    c = codec_for(fmt, d.schema, d.type_name)
    reader = c.reader(io.BytesIO(write(c, recs[:1], single=True)))
    assert_same(list(reader), recs[:1])
    assert reader.single


@pytest.mark.parametrize("fmt", formats_where(concatenates=True))
def test_files_joined_end_to_end_are_one_file(fmt: str) -> None:
    # Chunked convert writes each chunk as a file and joins them: the entry promises this.
    d, recs = dataset("order")
    c = codec_for(fmt, d.schema, d.type_name)
    assert_same(read(c, write(c, recs[:3]) + write(c, recs[3:5])), recs[:5])


# -- 2. edge values --------------------------------------------------------------------------
EDGES = {"order": ORDERS, "sensor": SENSORS}


@pytest.mark.parametrize("schema", EDGES)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_edge_records_round_trip(fmt: str, schema: str) -> None:
    c = codec(fmt, schema)
    for r in EDGES[schema]:
        assert_same(c.decode(c.encode(r)), r)
    for file in files_of(fmt, EDGES[schema]):
        assert_same(read(c, write(c, file)), file)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_generated_records_round_trip(fmt: str, schema: str, data: st.DataObject) -> None:
    one = records(schema_named(schema), xml_safe=True)
    most = 3 if FORMATS[fmt].many_records else 1
    recs = data.draw(st.lists(one, min_size=1, max_size=most), label="records")
    c = codec(fmt, schema)
    for r in recs:
        assert_same(c.decode(c.encode(r)), r)
    assert_same(read(c, write(c, recs)), recs)


# -- 3. hostile input ------------------------------------------------------------------------
# Small files, since every prefix is read: multi-byte characters, 64-bit extremes, bytes,
# NaN and maps keyed by ints and bools, so that truncations and flips land in all of them.
HOSTILE = {"order": ORDERS[:2], "sensor": [SENSORS[0], SENSORS[0]["parent"]]}


def survives(c: Codec, schema: str, data: bytes, what: str) -> None:
    """``data`` read as a file and as one message: canonical records or an fmtbench error."""
    for mode in ("reader", "decode"):
        try:
            got = read(c, data) if mode == "reader" else [c.decode(data)]
        except FmtbenchError as exc:
            text = str(exc)  # one line that says something: not "malformed X: " and no more
            assert "\n" not in text, f"{what}, {mode}: {text!r}"
            assert not text.rstrip().endswith(":"), f"{what}, {mode}: {text!r}"
            continue
        except Exception as exc:  # what this suite exists to catch
            pytest.fail(f"{what}, {mode}: {type(exc).__name__}: {exc}; input {data[:80]!r}")
        for r in got:  # records from damaged bytes are records all the same
            assert same(validate(schema_named(schema), r), r), f"{what}, {mode}: {r!r}"


@pytest.mark.parametrize("schema", HOSTILE)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_damaged_input_gives_records_or_an_fmtbench_error(fmt: str, schema: str) -> None:
    c = codec(fmt, schema)
    recs = HOSTILE[schema] if FORMATS[fmt].many_records else HOSTILE[schema][:1]
    valid = {"file": write(c, recs), "message": c.encode(recs[0])}
    rng = random.Random(f"{fmt}/{schema}")  # fixed per case: a failure reproduces
    with within(30):
        for kind, data in valid.items():
            for end in range(len(data)):
                survives(c, schema, data[:end], f"{kind} cut at byte {end} of {len(data)}")
            for _ in range(40):
                flipped = bytearray(data)
                at = rng.randrange(len(data))
                flipped[at] ^= 1 << rng.randrange(8)
                survives(c, schema, bytes(flipped), f"{kind} with a bit flipped at byte {at}")
        for i in range(20):
            garbage = rng.randbytes(rng.randrange(1, 300))
            survives(c, schema, garbage, f"garbage {i}")


#: The order whose every field is at its zero value (optionals absent).
ZERO_ORDER = ORDERS[1]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_empty_input_is_no_records_or_a_decode_error(fmt: str) -> None:
    c = codec(fmt, "order")
    for mode in ("reader", "decode"):
        try:
            got = read(c, b"") if mode == "reader" else [c.decode(b"")]
        except DecodeError:
            continue
        # A third outcome, documented for protobuf (docs/formats.md): zero bytes are a
        # message with every field absent, so one record with every field at its zero
        # value. Anything else read out of nothing is invented data.
        assert got == [] or same(got, [ZERO_ORDER]), f"{mode}: {got!r} from an empty input"
    # A writer given no records either refuses (a stream with no end marker cannot tell an
    # empty file from a failed export) or writes a file that reads as no records.
    try:
        empty = write(c, [])
    except EncodeError:
        return
    assert read(c, empty) == []


# -- 4. limits -------------------------------------------------------------------------------
# Formats whose records each have their own frame (``concatenates``), or whose file is the
# record, bound each record by max_record_bytes. A document holding every record (a JSON
# array, an XML document) is bounded as a whole by max_input_bytes (docs/limits.md).
PER_RECORD = [f for f in FORMAT_NAMES if FORMATS[f].concatenates or not FORMATS[f].many_records]
SMALL = {"element": "x", "attribute": "", "listed": [], "keyed": {}}
BIG = {"element": "x" * 10_000, "attribute": "", "listed": [], "keyed": {}}


@pytest.mark.parametrize("fmt", PER_RECORD)
def test_record_over_max_record_bytes_is_refused(fmt: str) -> None:
    plain = codec(fmt, "limits")
    size = len(plain.encode(BIG))
    recs = [SMALL, BIG, SMALL] if FORMATS[fmt].many_records else [BIG]
    data = write(plain, recs)
    assert_same(read(codec(fmt, "limits", Limits(max_record_bytes=size)), data), recs)
    with pytest.raises(LimitError, match="over the limit"):
        read(codec(fmt, "limits", Limits(max_record_bytes=size - 1)), data)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_input_over_max_input_bytes_is_refused_by_convert(fmt: str, tmp_path: Path) -> None:
    src = tmp_path / f"in{FORMATS[fmt].extensions[0]}"
    src.write_bytes(write(codec(fmt, "order"), ORDERS[: 3 if FORMATS[fmt].many_records else 1]))
    dst = tmp_path / "out.jsonl"
    limits = Limits(max_input_bytes=src.stat().st_size - 1)
    with pytest.raises(LimitError, match="max-input-bytes"):
        convert(str(src), str(dst), schema_named("order"), limits=limits)
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


# The "tree" schema recurses: a Forest's trunk is a Node (level 1), each child one more.
NODE = {"label": "n", "weight": 0.5, "named": {}, "stamps": {}, "offsets": {}, "sizes": {}}
NODE |= {k: [] for k in ("flags", "colours", "empties", "blobs", "words", "when", "small", "big")}


def forest(levels: int) -> Record:
    """A Forest record nested ``levels`` deep, as Protobuf counts it."""
    node: Record = {**NODE, "children": []}
    for _ in range(levels - 1):
        node = {**NODE, "children": [node]}
    return {"trunk": node, "by_id": {}, "colours": {}, "marker": {}}


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_nesting_past_max_depth_is_refused_on_write_and_read(fmt: str) -> None:
    strict = codec(fmt, "tree", Limits(max_depth=5))
    lax = codec(fmt, "tree", Limits(max_depth=50))
    at = forest(5)
    assert_same(strict.decode(strict.encode(at)), at)
    assert_same(read(strict, write(strict, [at])), [at])
    with pytest.raises(EncodeError, match="--max-depth"):
        strict.encode(forest(6))
    with pytest.raises(LimitError):
        strict.decode(lax.encode(forest(6)))
    with pytest.raises(LimitError):
        read(strict, write(lax, [forest(6)]))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_default_depth_limit_is_reached_by_every_format(fmt: str) -> None:
    # The default is Protobuf's own limit, so that any record converts to any format: a
    # format whose library stops earlier could not hold every record protobuf holds.
    c = codec(fmt, "tree")
    deepest = forest(DEFAULT_MAX_DEPTH)
    assert_same(c.decode(c.encode(deepest)), deepest)
    assert_same(read(c, write(c, [deepest])), [deepest])
    with pytest.raises(EncodeError):
        c.encode(forest(DEFAULT_MAX_DEPTH + 1))


# -- 5. atomic output through convert --------------------------------------------------------
# A bad record in the middle, found only once the records before it have been written.
BAD_LINE = b'{"id": 3, "lines": [{}, {"quantity": "many"}]}\n'


def jsonl_input(path: Path, fmt: str, *, bad: bool) -> list[Record]:
    """Write ORDERS as JSON Lines (one record if ``fmt`` holds one); ``bad`` spoils the
    middle one. Returns the records written."""
    recs = ORDERS if FORMATS[fmt].many_records else ORDERS[:1]
    lines = [codec("jsonl", "order").encode(r) + b"\n" for r in recs]
    if bad:
        lines[len(lines) // 2] = BAD_LINE
    path.write_bytes(b"".join(lines))
    return recs


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_failed_conversion_leaves_nothing_behind(fmt: str, existing: bool, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    recs = jsonl_input(src, fmt, bad=True)
    dst = tmp_path / f"out{FORMATS[fmt].extensions[0]}"
    if existing:
        dst.write_bytes(b"precious")
        dst.chmod(0o640)
    with pytest.raises(DecodeError) as info:
        convert(str(src), str(dst), schema_named("order"))
    assert info.value.record == len(recs) // 2 + 1
    # No temporary file beside the output: the directory holds what it held before.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, dst.name] if existing else [src.name]
    )
    if existing:
        assert dst.read_bytes() == b"precious"
        assert dst.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_conversion_there_and_back_keeps_the_records(fmt: str, tmp_path: Path) -> None:
    src, back = tmp_path / "in.jsonl", tmp_path / "back.jsonl"
    recs = jsonl_input(src, fmt, bad=False)
    dst = tmp_path / f"out{FORMATS[fmt].extensions[0]}"
    # The format comes from the output's ending: its first extension must select it.
    assert convert(str(src), str(dst), schema_named("order")).target_format == fmt
    assert convert(str(dst), str(back), schema_named("order")).records == len(recs)
    assert_same(read(codec("jsonl", "order"), back.read_bytes()), recs)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, dst.name, back.name])
