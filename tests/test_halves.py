"""A big batch message converted in two processes (fmtbench/halves.py): protobuf -> protojson
and protojson -> protobuf write, byte for byte, what one process writes, or the same error;
the halves are really taken where they apply, and a half that fails or declines leaves the
decision to the usual route."""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench import halves
from fmtbench.codecs.json import from_protobuf as json_from_protobuf
from fmtbench.codecs.json import to_protobuf as json_to_protobuf
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protojson import from_protobuf, to_protobuf
from fmtbench.codecs.protojson.codec import ProtoJsonCodec
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.halves import cut_list, list_span
from fmtbench.pump import pump
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema
from tests.strategies import records
from tests.test_protojson_to_protobuf import KINDS_YAML, mutate, plain

# The kinds schema's every field, as the items of a batch.
BATCH_YAML = KINDS_YAML.replace("root: All", "root: Batch").replace(
    "messages:\n", "messages:\n  Batch:\n    fields:\n      items: list<All> = 1\n", 1
)


# The same items without their messages: a flat type, whose strings are counted in C loops.
FLAT_BATCH_YAML = "\n".join(
    line for line in BATCH_YAML.split("  Inner:")[0].splitlines() if "inner" not in line
)


def batch_schema(flat: bool = False) -> Schema:
    """One schema object for each (the routes require their codecs' schemas identical)."""
    return _parsed(FLAT_BATCH_YAML if flat else BATCH_YAML)


@cache
def _parsed(text: str) -> Schema:
    return parse_schema(text, "<batch>")


@pytest.fixture
def split() -> Iterator[list[int]]:
    with _split_here() as forks:
        yield forks


def run(source: Any, target: Any, data: bytes) -> tuple[str, Any]:
    """What converting ``data`` writes, or the error it raises."""
    out = io.BytesIO()
    try:
        reader = source.reader(io.BytesIO(data))
        writer = target.writer_for_decoded(out, single=reader.single)
        pump(reader, writer)
        writer.close()
    except FmtbenchError as exc:
        return ("error", str(exc))
    return ("ok", out.getvalue())


def one_process(source: Any, target: Any, data: bytes) -> tuple[str, Any]:
    with halves.sharing(1, 1 << 40):
        return run(source, target, data)


def codecs(drop_unknown: bool = False, flat: bool = False) -> tuple[ProtoJsonCodec, ProtobufCodec]:
    s = batch_schema(flat)
    return ProtoJsonCodec(s, drop_unknown=drop_unknown), ProtobufCodec(s, drop_unknown=drop_unknown)


# -- in_two ---------------------------------------------------------------------------------
def test_both_halves_run_and_return() -> None:
    mine, theirs = halves.in_two(lambda: os.getpid(), lambda: str(os.getpid()).encode())
    assert mine == os.getpid()
    assert int(theirs) != os.getpid()


def test_a_failing_child_is_reported_not_raised() -> None:
    def boom() -> bytes:
        raise ValueError("in the child")

    with pytest.raises(halves.HalfFailed):
        halves.in_two(lambda: 1, boom)

    def killed() -> bytes:
        os.kill(os.getpid(), signal.SIGKILL)
        return b""

    with pytest.raises(halves.HalfFailed):
        halves.in_two(lambda: 1, killed)


def test_a_failing_parent_half_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    children: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)

    def here() -> int:
        raise KeyError("here")

    with pytest.raises(KeyError):
        halves.in_two(here, lambda: b"x" * (1 << 20))  # more than a pipe holds: it waits
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # stopped and reaped: nothing left behind


def test_no_half_forks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "MIN_INPUT_BYTES", 0)
    with halves.sharing(2, 0):
        assert halves.worth_it(halves.MIN_ITEMS)
        mine, theirs = halves.in_two(
            lambda: halves.worth_it(halves.MIN_ITEMS),
            lambda: str(halves.worth_it(halves.MIN_ITEMS)).encode(),
        )
        assert (mine, theirs) == (False, b"False")
        assert halves.worth_it(halves.MIN_ITEMS)  # and the parent may again afterwards


def test_only_where_convert_allows_it() -> None:
    assert not halves.worth_it(10**9)  # outside convert
    with halves.sharing(2, halves.MIN_INPUT_BYTES - 1):
        assert not halves.worth_it(10**9)  # a small input
    with halves.sharing(2, None):
        assert not halves.worth_it(10**9)  # a pipe
    with halves.sharing(1, 1 << 40):
        assert not halves.worth_it(10**9)  # --workers 1
    with halves.sharing(2, 1 << 40):
        assert halves.worth_it(halves.MIN_ITEMS)
        assert not halves.worth_it(halves.MIN_ITEMS - 1)
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        try:
            assert not halves.worth_it(10**9)  # another thread: a fork would copy its locks
        finally:
            stop.set()
            thread.join()


# -- the two routes -------------------------------------------------------------------------
@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_protojson_to_protobuf_in_halves(flat: bool, data: Any) -> None:
    """The same bytes or the same error, on valid batches and mutated ones (a key given twice,
    odd values, escapes, noise, in either half)."""
    pj, pb = codecs(flat=flat)
    items = data.draw(st.lists(records(batch_schema(flat), "All"), min_size=2, max_size=6))
    valid = plain(pj.encode({"items": items}))
    for text in [valid, mutate(valid, data.draw), mutate(valid, data.draw)]:
        expected = one_process(pj, pb, text)
        with _split_here() as forks:
            assert run(pj, pb, text) == expected
        if text == valid:
            assert forks, "the valid batch was not cut"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), drop_unknown=st.booleans())
def test_protobuf_to_protojson_in_halves(data: Any, drop_unknown: bool) -> None:
    pj, pb = codecs(drop_unknown)
    items = data.draw(st.lists(records(batch_schema(), "All"), min_size=2, max_size=6))
    message = pb.encode({"items": items})
    # And an item with an unknown field (number 127) at the end: refused or dropped alike.
    item = ProtobufCodec(batch_schema(), "All").encode(items[-1]) + b"\xf8\x07\x01"
    texts = [message, message + b"\x0a" + _varint(len(item)) + item]
    for blob in texts:
        expected = one_process(pb, pj, blob)
        with _split_here() as forks:
            assert run(pb, pj, blob) == expected
        assert forks


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), drop_unknown=st.booleans())
def test_protobuf_to_json_in_halves(data: Any, drop_unknown: bool) -> None:
    """The same for plain JSON: each half walked and written by the codecs' own code."""
    _, pb = codecs(drop_unknown)
    js = JsonCodec(batch_schema())
    items = data.draw(st.lists(records(batch_schema(), "All"), min_size=2, max_size=6))
    message = pb.encode({"items": items})
    item = ProtobufCodec(batch_schema(), "All").encode(items[-1]) + b"\xf8\x07\x01"
    for blob in [message, message + b"\x0a" + _varint(len(item)) + item]:
        expected = one_process(pb, js, blob)
        with _split_here() as forks:
            assert run(pb, js, blob) == expected
        assert forks


def test_text_that_looks_like_a_cut_inside_strings(split: list[int]) -> None:
    """'}, {' inside a string, at the middle, is not where the text is cut."""
    pj, pb = codecs()
    trap = "}, {" * 50
    items = [{"text": trap * 20}, {"text": "b"}, {"text": trap * 20}, {"text": "d"}]
    text = pj.encode({"items": [dict(_zero_all(), **i) for i in items]})
    assert run(pj, pb, text) == one_process(pj, pb, text)
    assert split


def test_white_space_between_items(split: list[int]) -> None:
    pj, pb = codecs()
    text = b'{ "items" : [ {"i32": 1} ,\n\t{"i32": 2} , {"i32": 3}\r\n] }\n'
    result = run(pj, pb, text)
    assert result == one_process(pj, pb, text)
    assert result[0] == "ok"
    assert split


@pytest.mark.parametrize(
    "text",
    [
        b'{"items":[{"i32":1},{"i32":2}],"items":[{"i32":3},{"i32":4}]}',  # the list twice
        b'{"items":[{"i32":1},{"i32":2},{"i32":3,"i32":4}]}',  # a key twice in the 2nd half
        b'{"items":[{"i32":1,"i32":5},{"i32":2},{"i32":3}]}',  # ... in the first
        b'{"items":[{"i32":1},{"i32":2},{"i32":"x"}]}',  # a bad value in the second
        b'{"items":[{"i32":1},{"i32":2},{"nope":1}]}',  # an unknown key in the second
        b'{"items":[{"i32":1},{"i32":2},{"i32":1e3}]}',
        b'{"items":[[{"i32":1},{"i32":2}],{"i32":3}]}',
        b'{"items":[{"i32":1},{"i32":2}]',
    ],
)
def test_odd_batches_get_the_usual_answer(split: list[int], text: bytes) -> None:
    pj, pb = codecs()
    assert run(pj, pb, text) == one_process(pj, pb, text)


def _big_batch(tmp_path: Path) -> tuple[Schema, Path]:
    """A batch message of several megabytes (20,000 log events), and its schema."""
    schema = parse_schema(
        (Path(__file__).parent.parent / "fmtbench/schemas/log.yaml")
        .read_text()
        .replace("root: AccessEvent", "root: Batch")
        .replace(
            "messages:\n",
            "messages:\n  Batch:\n    fields:\n      events: list<AccessEvent> = 1\n",
            1,
        ),
        "<batch>",
    )
    events = list(load_dataset("log").generator().records(20000))
    src = tmp_path / "batch.binpb"
    src.write_bytes(ProtobufCodec(schema).encode({"events": events}))
    assert src.stat().st_size >= halves.MIN_INPUT_BYTES
    return schema, src


def test_convert_cuts_a_big_batch_and_writes_the_same_bytes(tmp_path: Path) -> None:
    """The whole command: a batch of several megabytes, --workers 2 against --workers 1, both
    ways; and an error in the second half names the same record and field."""
    schema, src = _big_batch(tmp_path)
    outs = {}
    for workers in (1, 2):
        outs[workers] = tmp_path / f"out{workers}.protojson"
        convert(str(src), str(outs[workers]), schema, workers=workers)
    assert outs[1].read_bytes() == outs[2].read_bytes()
    for workers in (1, 2):
        convert(str(src), str(tmp_path / f"out{workers}.json"), schema, workers=workers)
    assert (tmp_path / "out1.json").read_bytes() == (tmp_path / "out2.json").read_bytes()
    back = {}
    for workers in (1, 2):
        back[workers] = tmp_path / f"back{workers}.binpb"
        convert(str(outs[1]), str(back[workers]), schema, workers=workers)
    assert back[1].read_bytes() == back[2].read_bytes() == src.read_bytes()
    # A bad status late in the list (the child's half): the same error either way.
    text = outs[1].read_bytes()
    at = text.rfind(b'"status":')
    bad = tmp_path / "bad.protojson"
    bad.write_bytes(text[:at] + b'"status":-1,' + text[text.index(b",", at) + 1 :])
    errors = []
    for workers in (1, 2):
        with pytest.raises(FmtbenchError) as info:
            convert(str(bad), str(tmp_path / "no.binpb"), schema, workers=workers)
        errors.append(str(info.value))
        assert not (tmp_path / "no.binpb").exists()
    assert errors[0] == errors[1]
    assert "status" in errors[0]


# -- helpers --------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([*out, n])


class _split_here:
    """The ``split`` fixture as a context manager, for hypothesis tests (no fixtures)."""

    def __enter__(self) -> list[int]:
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(halves, "MIN_INPUT_BYTES", 0)
        self.patch.setattr(halves, "MIN_ITEMS", 2)
        self.patch.setattr(halves, "BYTES_AN_ITEM", 1)
        forks: list[int] = []
        real = halves.in_two

        def counted(here: Callable[[], Any], there: Callable[[], bytes]) -> Any:
            forks.append(1)
            return real(here, there)

        self.patch.setattr(from_protobuf, "in_two", counted)
        self.patch.setattr(to_protobuf, "in_two", counted)
        self.patch.setattr(json_from_protobuf, "in_two", counted)
        self.patch.setattr(json_to_protobuf, "in_two", counted)
        self.sharing = halves.sharing(2, 0)
        self.sharing.__enter__()
        return forks

    def __exit__(self, *exc: object) -> None:
        self.sharing.__exit__(None, None, None)
        self.patch.undo()


def _zero_all() -> dict[str, Any]:
    return ProtoJsonCodec(batch_schema(), "All").decode(b"{}")  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "text",
    [
        b'{"items":[{"a":1},{"a":2},{"a":3},{"a":4}]}',
        b'{"items" : [ {"a":"}, {"} ,\n\t{"a":2} , {"a":3}\r\n] }',
        b'{"items":[{"a":1}]}',
    ],
)
def test_a_cut_makes_two_lists_of_the_items(text: bytes) -> None:
    """Each half's text, made by the process that parses it, is a list; the two lists
    together hold the items of the whole, in order."""
    span = list_span(text, text.rfind(b"]") + 1 - text.find(b"["))
    assert span is not None
    cut = cut_list(text, *span)
    whole = msgspec.json.decode(text[span[0] : span[1]])
    if len(whole) < 2:
        assert cut is None
        return
    assert cut is not None
    first, second = msgspec.json.decode(cut.first()), msgspec.json.decode(cut.second())
    assert first
    assert second
    assert first + second == whole


def test_protojson_halves_are_written_in_the_markers_place(
    split: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list written in halves stands in the tree as a marker, replaced in the text by
    its pieces; where another value spells the marker, the text is joined: the same bytes."""
    items = list(range(10))
    expected_items = [{"v": i} for i in items]
    nonce = b"\x01" * 16
    monkeypatch.setattr(from_protobuf.os, "urandom", lambda n: nonce[:n])
    for note in ["plain", "fmtbench-halves-" + nonce.hex()]:
        split.clear()

        def fused(_: Any, note: str = note) -> dict[str, Any]:
            return {"note": note, "items": from_protobuf._many(lambda v: {"v": v}, items)}

        pieces = from_protobuf.written(fused, None)
        assert split
        assert len(pieces) == (5 if note == "plain" else 1)
        expected = msgspec.json.encode({"note": note, "items": expected_items})
        assert b"".join(pieces) == expected


def test_two_lists_in_halves_take_their_own_places(split: list[int]) -> None:
    """Each list written in halves has its own marker; the pieces go where each stood."""

    def fused(_: Any) -> dict[str, Any]:
        first = from_protobuf._many(lambda v: {"a": v}, list(range(6)))
        second = from_protobuf._many(lambda v: {"b": v}, list(range(100, 105)))
        return {"first": first, "between": "x", "second": second}

    pieces = from_protobuf.written(fused, None)
    assert len(split) == 2
    expected = {
        "first": [{"a": v} for v in range(6)],
        "between": "x",
        "second": [{"b": v} for v in range(100, 105)],
    }
    assert b"".join(pieces) == msgspec.json.encode(expected)
    assert from_protobuf._pending is None  # nothing kept for the next message


@pytest.mark.parametrize("suffix", [".zst", ".gz", ".bz2"])
def test_halves_written_as_pieces_into_a_compressed_output(
    tmp_path: Path, suffix: str, split: list[int]
) -> None:
    """The halves, written piece by piece, go through a compressing writer as they would
    through a file: the same text as one process writes, and back to the same message."""
    schema, src = _big_batch(tmp_path)
    for ending in [".json", ".protojson"]:
        plain, packed = tmp_path / f"one{ending}", tmp_path / f"two{ending}{suffix}"
        convert(str(src), str(plain), schema, workers=1)
        split.clear()
        convert(str(src), str(packed), schema, workers=2)
        assert split
        assert decompress(packed) == plain.read_bytes()
        back = tmp_path / f"back{ending}.binpb{suffix}"
        split.clear()
        convert(str(packed), str(back), schema, workers=2)
        assert split
        assert decompress(back) == src.read_bytes()


def decompress(path: Path) -> bytes:
    import bz2
    import gzip

    import zstandard

    data = path.read_bytes()
    if path.suffix == ".zst":
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    return gzip.decompress(data) if path.suffix == ".gz" else bz2.decompress(data)
