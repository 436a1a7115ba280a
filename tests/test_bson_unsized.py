"""The BSON codec's unsized fast reader (schemas with lists: their proof is the document
written again), the float32 values tested a record at a time on both paths, and the
level-at-a-time depth walk: same records, same bytes and same refusals as the reference
paths, duplicate keys refused at every depth, in arrays and in maps."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

bson = pytest.importorskip("bson")

from fmtbench.codecs.bson.codec import (  # noqa: E402
    BSON_NESTING,
    OPTIONS,
    BsonCodec,
    refuse_too_deep,
)
from fmtbench.errors import DecodeError, EncodeError, LimitError  # noqa: E402
from fmtbench.generate import load_dataset  # noqa: E402
from fmtbench.schema.loader import parse_schema  # noqa: E402
from tests.test_bson_fast import element, with_element  # noqa: E402

FLOATS = parse_schema("""
schema: t.bsonfloats
root: F
messages:
  F:
    fields:
      points: list<P> = 1
      xs: list<float32> = 2
      names: list<string> = 3
      tags: map<string, string> = 4
      one: optional float32 = 5
  P:
    fields:
      x: float32 = 1
      y: float32 = 2
      w: float64 = 3
""")
FLOATS_CODEC = BsonCodec(FLOATS)

ODD_FLOATS = [0.5, -0.0, 0.0, math.inf, -math.inf, math.nan, 0.1, 1e300, 3.4028235e38, 1e-45]


def reference_read(c: BsonCodec, data: bytes) -> Any:
    """What the reference path returns for ``data``, or its error's text."""
    tree = bson.decode(data, OPTIONS)
    try:
        return c._read_reference(tree, data, "byte offset 0")
    except DecodeError as exc:
        return str(exc)


def read(c: BsonCodec, data: bytes) -> Any:
    try:
        return c.decode(data)
    except DecodeError as exc:
        return str(exc)


def written(encode: Any, rec: dict[str, Any]) -> bytes | str:
    """The bytes ``encode`` writes, or its error's text."""
    try:
        data: bytes = encode(rec)
    except EncodeError as exc:
        return str(exc)
    return data


def same(a: Any, b: Any) -> bool:
    """Equal, NaN included, and in the same key order at every level."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float):
        return isinstance(b, float) and struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("dataset", ["media", "mesh", "order", "tree"])
def test_dataset_records_read_alike_unsized_and_sized(dataset: str) -> None:
    ds = load_dataset(dataset)
    c = BsonCodec(ds.schema, ds.type_name)
    assert c._arrays
    for rec in ds.generator().records(30):
        data = c.encode(rec)
        assert data == c._encode_reference(rec)
        tree = bson.decode(data, OPTIONS)
        unsized = c._fast_unsized(tree)
        sized, size = c._fast_read(tree)
        assert size == len(data)
        assert same(unsized, sized)
        assert same(unsized, c._from_tree(bson.decode(data, OPTIONS)))
        got = c.decode(data)
        assert same(got, unsized)
        assert got == rec


floats = st.one_of(st.sampled_from(ODD_FLOATS), st.floats(width=32), st.floats())


@given(
    st.lists(st.tuples(floats, floats, floats), max_size=12),
    st.lists(floats, max_size=20),
    st.lists(st.text(), max_size=4),
    st.dictionaries(st.text().filter(lambda k: "\0" not in k), st.text(), max_size=4),
    st.one_of(st.none(), floats),
)
def test_float32_lists_and_plain_collections(
    points: list[tuple[float, float, float]],
    xs: list[float],
    names: list[str],
    tags: dict[str, str],
    one: float | None,
) -> None:
    """Written: the reference's bytes (a float32 not exact is rounded there). Read: the
    reference's record, or its error, for exact and inexact float32 values alike."""
    c = FLOATS_CODEC
    rec: dict[str, Any] = {
        "points": [{"x": x, "y": y, "w": w} for x, y, w in points],
        "xs": xs,
        "names": names,
        "tags": tags,
    }
    if one is not None:
        rec["one"] = one
    data = written(c.encode, rec)
    assert data == written(c._encode_reference, rec)
    if isinstance(data, str):  # past float32's range: the reference's error
        return
    got = read(c, data)
    assert same(got, reference_read(c, data))
    # The values as written, unrounded, as another writer might: read alike too.
    raw = bson.encode(rec)
    assert same(read(c, raw), reference_read(c, raw))


def test_an_inexact_float32_is_refused_as_before() -> None:
    c = FLOATS_CODEC
    base = {"points": [{"x": 1.0, "y": 2.0, "w": 0.1}], "xs": [0.5], "names": [], "tags": {}}
    for where in ("points", "xs"):
        doc = bson.decode(c.encode(base), OPTIONS)
        if where == "points":
            doc["points"][0]["y"] = 0.1
        else:
            doc["xs"].append(0.1)
        with pytest.raises(DecodeError, match=r"0\.1 is not a float32 value") as exc:
            c.decode(bson.encode(doc))
        assert str(exc.value) == reference_read(c, bson.encode(doc))


def test_a_wrong_type_in_a_plain_list_or_map_names_the_field() -> None:
    c = FLOATS_CODEC
    base = {"points": [], "xs": [], "names": ["a", "b"], "tags": {"k": "v"}}
    for path, value in ((("names", 1), 5), (("tags", "k"), b"x")):
        doc = bson.decode(c.encode(base), OPTIONS)
        doc[path[0]][path[1]] = value
        data = bson.encode(doc)
        message = reference_read(c, data)
        assert isinstance(message, str)
        with pytest.raises(DecodeError) as exc:
            c.decode(data)
        assert str(exc.value) == message


# -- duplicate keys in list schemas --------------------------------------------------------
def mesh_codec() -> BsonCodec:
    ds = load_dataset("mesh")
    return BsonCodec(ds.schema, ds.type_name)


def tree_codec() -> BsonCodec:
    ds = load_dataset("tree")
    return BsonCodec(ds.schema, ds.type_name)


V = {"x": 1.0, "y": 2.0, "z": 3.0}
MESH = {"name": "m", "triangles": [{"v1": V, "v2": V, "v3": V, "normal": V}] * 3}
LEAF = {"id": 3, "name": "c", "kind": "ITEM", "attributes": {"lang": "en"}, "children": []}
TREE = {
    "id": 1,
    "name": "a",
    "kind": "DOCUMENT",
    "attributes": {},
    "children": [{**LEAF, "id": 2, "children": [LEAF]}],
}


@pytest.mark.parametrize(
    ("which", "after", "extra", "key"),
    [
        # In a Vec3 of the last triangle, deep in an array: the same value twice.
        (
            "mesh",
            b"\x01z\0" + struct.pack("<d", 3.0),
            element(0x01, b"z", struct.pack("<d", 3.0)),
            "z",
        ),
        ("mesh", b"\x02name\0\x02\0\0\0m\0", element(0x02, b"name", b"\x02\0\0\0m\0"), "name"),
        # A grandchild's attributes (a map in an array in an array) and the grandchild.
        ("tree", b"lang\0\x03\0\0\0en\0", element(0x02, b"lang", b"\x03\0\0\0fr\0"), "lang"),
        ("tree", b"\x02name\0\x02\0\0\0c\0", element(0x02, b"name", b"\x02\0\0\0c\0"), "name"),
    ],
)
def test_duplicates_in_lists_at_every_depth(
    which: str, after: bytes, extra: bytes, key: str
) -> None:
    c = mesh_codec() if which == "mesh" else tree_codec()
    data = c.encode(MESH if which == "mesh" else TREE)
    bad = with_element(data, after, extra)
    assert c._fast_unsized(bson.decode(bad, OPTIONS))  # pymongo and the fast path accept...
    with pytest.raises(DecodeError, match=f"duplicate key '{key}'"):  # ...the proof does not
        c.decode(bad)


def test_wrong_array_keys_read_as_the_reference_reads_them() -> None:
    """pymongo ignores array keys: "5", "5", "5" for the triangles is the same record (the
    exact check finds no duplicate), as on the reference path."""
    c = mesh_codec()
    data = c.encode(MESH)
    odd = data
    for i in (b"0", b"1", b"2"):
        odd = odd.replace(b"\x03" + i + b"\0\xb1\0\0\0", b"\x03" + b"5" + b"\0\xb1\0\0\0", 1)
    assert odd != data
    assert len(odd) == len(data)
    assert same(c.decode(odd), MESH)
    assert same(reference_read(c, odd), MESH)


def test_shortened_array_keys_cannot_hide_a_duplicate_in_a_mesh() -> None:
    """Empty keys for six triangles save six bytes; a six-byte null "name" before the real
    one makes the length right: the written-again proof refuses it."""
    c = mesh_codec()
    six = {"name": "m", "triangles": MESH["triangles"] * 2}
    data = c.encode(six)
    short = data
    for i in b"012345":
        at = short.index(bytes([0x03, i, 0, 0xB1, 0, 0, 0]))
        short = short[: at + 1] + short[at + 2 :]
    start = short.index(b"triangles\0") + 10
    size = struct.unpack_from("<i", short, start)[0]
    short = short[:start] + struct.pack("<i", size - 6) + short[start + 4 :]
    body = element(0x0A, b"name", b"") + short[4:-1]
    bad = struct.pack("<i", len(body) + 5) + body + b"\0"
    assert len(bad) == len(data)
    assert same(bson.decode(bad, OPTIONS)["name"], "m")  # pymongo keeps the last
    with pytest.raises(DecodeError, match="duplicate key 'name'"):
        c.decode(bad)


# -- the depth walk ------------------------------------------------------------------------
def stack_walk(tree: dict[str, Any], position: str) -> None:
    """The walk refuse_too_deep replaced, kept as the reference."""
    todo: list[tuple[Any, int]] = [(tree, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > BSON_NESTING.cap:
            raise LimitError("too deep", position=position)
        items = value.values() if value.__class__ is dict else value
        todo.extend((v, depth + 1) for v in items if v.__class__ in (dict, list))


def nested(depth: int, shape: list[int]) -> dict[str, Any]:
    """A document ``depth`` levels deep (dicts and lists alternating), with side branches."""
    inner: Any = {}
    for level in range(depth - 1):
        inner = [inner, 1] if shape[level % len(shape)] else {"a": inner, "b": {}, "c": "x"}
    return inner if isinstance(inner, dict) else {"v": inner}


@given(st.integers(1, 520), st.lists(st.integers(0, 1), min_size=1, max_size=5))
def test_the_depth_walk_refuses_what_the_stack_walk_refused(depth: int, shape: list[int]) -> None:
    tree = nested(depth, shape)
    try:
        stack_walk(tree, "p")
    except LimitError:
        with pytest.raises(LimitError, match="nested more than 500 documents and arrays deep"):
            refuse_too_deep(tree, "p")
    else:
        refuse_too_deep(tree, "p")


def test_the_depth_walk_at_the_cap() -> None:
    for depth, refused in ((500, False), (501, True)):
        tree: Any = {}
        for _ in range(depth - 1):
            tree = {"a": tree}
        if refused:
            with pytest.raises(LimitError):
                refuse_too_deep(tree, "p")
        else:
            refuse_too_deep(tree, "p")


TIMES = parse_schema("""
schema: t.bsontimes
root: T
messages:
  T:
    fields:
      took: duration = 1
      at: timestamp = 2
      laps: list<duration> = 3
      steps: map<string, duration> = 4
""")


@given(
    st.timedeltas(),
    st.lists(st.timedeltas(), max_size=3),
    st.dictionaries(
        st.text(max_size=3).filter(lambda k: "\0" not in k), st.timedeltas(), max_size=3
    ),
)
def test_durations_and_timestamps_in_a_list_schema(
    took: Any, laps: list[Any], steps: dict[str, Any]
) -> None:
    """Durations (a value and a length on the sized path, the value alone unsized)."""
    from datetime import UTC, datetime

    c = BsonCodec(TIMES)
    rec = {"took": took, "at": datetime(2020, 1, 1, tzinfo=UTC), "laps": laps, "steps": steps}
    data = written(c.encode, rec)
    assert data == written(c._encode_reference, rec)
    if isinstance(data, str):
        return
    assert same(read(c, data), reference_read(c, data))
    assert c.decode(data) == rec
