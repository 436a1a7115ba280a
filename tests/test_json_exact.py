"""The write-back JSON path (json/exact.py) against today's reading (the typed path, then the
tree path): it never accepts what they reject, and when it accepts it returns exactly their
record, key order included.

The same hostile mutations as test_json_typed.py, plus spellings aimed at the write-back
itself: msgspec's own text for values the canonical form does not hold (an offset
timestamp, a timestamp of more than six fraction digits, an integer in a float field, an
integer past 64 bits), unknown keys, duplicate keys and keys out of schema order.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.json.exact import compile_exact, exact_decoder
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.limits import Limits
from fmtbench.schema.loader import parse_schema
from tests.samples import same, tree_paths
from tests.strategies import SCHEMAS, records, schema_named
from tests.test_json_typed import HOSTILE, KEYS, _get, set_at

# Spellings msgspec writes back as it read them, which the canonical form does not hold as is.
WRITTEN_BACK = [
    "2024-01-01T10:00:00+01:00",
    "2024-01-01T10:00:00.123456-23:59",
    2**64,
    2**70,
    -(2**63) - 1,
    1,
    0,
    3.4028235677973366e38,
    1e39,
    0.1,
    1e-46,
]


class _Declined(Exception):
    """The write-back path handed the input on."""


def _declined(data: bytes, line: int) -> Any:
    raise _Declined


def check(codec: JsonCodec, fast: Any, data: bytes) -> None:
    try:
        got = fast(data)
    except _Declined:
        return
    try:
        ref = codec._decode_slow(data, 0)
    except FmtbenchError as exc:
        raise AssertionError(f"accepted what today's path rejects ({exc}): {data!r}") from None
    assert same(got, ref), f"values differ for {data!r}:\n{got!r}\n{ref!r}"
    assert repr(got) == repr(ref), f"key order or types differ for {data!r}"


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("name", SCHEMAS)
def test_write_back_path_agrees_with_todays(name: str, drop: bool) -> None:
    schema = schema_named(name)
    codec = JsonCodec(schema, drop_unknown=drop)
    # Bytes too: the codec leaves them to the typed path for speed, not for correctness.
    exact = compile_exact(schema, codec.message.name, drop_unknown=drop)
    assert exact is not None
    fast = exact_decoder(exact, _declined, 1 << 30)
    hostile = HOSTILE + WRITTEN_BACK

    @given(rec=records(schema), rnd=st.randoms(use_true_random=False))
    def prop(rec: dict[str, Any], rnd: Any) -> None:
        data = codec.encode(rec)
        check(codec, fast, data)
        check(codec, fast, data + b"\n")
        tree = orjson.loads(data)
        paths = list(tree_paths(tree))
        for _ in range(8):
            t = orjson.loads(data)
            roll = rnd.random()
            if paths and roll < 0.6:
                try:
                    set_at(t, rnd.choice(paths), rnd.choice(hostile))
                except (KeyError, IndexError, TypeError):
                    continue
            elif roll < 0.75:
                dicts = [p for p in paths if isinstance(_get(t, p), dict)]
                if not dicts:
                    continue
                d = _get(t, rnd.choice(dicts))
                d[rnd.choice(KEYS)] = next(iter(d.values()), rnd.choice(hostile))
            elif roll < 0.9 and len(t) > 1:
                t = dict(reversed(list(t.items())))  # fields out of schema order
            else:
                t["unknown_" + str(rnd.randint(0, 3))] = rnd.choice(hostile)
            try:
                mutated = orjson.dumps(t)
            except TypeError:
                continue
            check(codec, fast, mutated)
        if tree:  # a duplicate key, first and last
            k = next(iter(tree))
            body = data[1:-1]
            dup = orjson.dumps({k: tree[k]})[1:-1]
            check(codec, fast, b"{" + dup + (b"," + body if body else b"") + b"}")
            check(codec, fast, b"{" + body + (b"," if body else b"") + dup + b"}")

    prop()


@pytest.mark.parametrize("dataset", ["blob", "log", "media", "mesh", "order", "telemetry", "tree"])
def test_the_datasets_need_no_fallback(dataset: str) -> None:
    """fmtbench's own output is what the path exists for: it must take it (speed only,
    but a path that declined everything would pass the test above)."""
    ds = load_dataset(dataset)
    codec = JsonCodec(ds.schema, ds.type_name)
    exact = compile_exact(ds.schema, ds.type_name)
    assert exact is not None
    fast = exact_decoder(exact, _declined, 1 << 30)
    for rec in ds.generator().records(50):
        got = fast(codec.encode(rec))
        assert got == rec
        assert repr(got) == repr(codec._decode_slow(codec.encode(rec), 0))


def _outcome(decode: Any, data: bytes) -> str:
    try:
        return repr(decode(data))
    except FmtbenchError as exc:
        return f"{type(exc).__name__}: {exc}"


def _walked(codec: JsonCodec) -> Any:
    """Today's decode of a recursive schema: the record, then base.py's depth walk."""
    check = codec._depth_check
    assert check is not None

    def decode(data: bytes) -> Any:
        record = codec._decode_slow(data, 0)
        check(record)
        return record

    return decode


@pytest.mark.parametrize("max_depth", [2, 3, 4, 6, 9])
def test_the_depth_proof_agrees_with_the_depth_check(max_depth: int) -> None:
    """A recursive schema's decode skips --max-depth's walk where the text holds no more
    ``{`` than the limit: the record or the error must be the walk's (today's) all the
    same, at limits records cross."""
    schema = schema_named("tree")
    writer = JsonCodec(schema)
    codec = JsonCodec(schema, limits=Limits(max_depth=max_depth))
    assert "decode" in codec.__dict__  # the proving decode, not the plain closure
    reference = _walked(codec)

    @given(rec=records(schema))
    def prop(rec: dict[str, Any]) -> None:
        data = writer.encode(rec)
        assert _outcome(codec.decode, data) == _outcome(reference, data)

    prop()


def test_the_depth_proof_on_the_tree_dataset() -> None:
    ds = load_dataset("tree")
    writer = JsonCodec(ds.schema, ds.type_name)
    for max_depth in (3, 5, 8):
        codec = JsonCodec(ds.schema, ds.type_name, limits=Limits(max_depth=max_depth))
        reference = _walked(codec)
        for rec in ds.generator().records(40):
            data = writer.encode(rec)
            assert _outcome(codec.decode, data) == _outcome(reference, data)


CHAIN = parse_schema(
    """
schema: test.chain
root: Chain
messages:
  Chain:
    fields:
      next: optional Chain = 1
      at: optional timestamp = 2
""",
    "<chain>",
)


def _chain(levels: int) -> bytes:
    """A chain of ``levels`` messages, a timestamp at the bottom: as deep as a record of
    that many ``{`` can be, as Protobuf counts it (each nested message and the timestamp a
    level, the root none)."""
    node = b'{"at":"2024-01-01T00:00:00Z"}'
    for _ in range(levels - 1):
        node = b'{"next":' + node + b"}"
    return node


@pytest.mark.parametrize("levels", [1, 2, 3, 5, 8])
def test_the_depth_proof_is_tight_on_a_chain(levels: int) -> None:
    """At every limit around a chain's depth, the proof and the walk agree: so the
    ``{`` count is never taken for more than it proves (one more would fail here)."""
    data = _chain(levels)
    assert JsonCodec(CHAIN).encode(JsonCodec(CHAIN).decode(data)) == data
    for max_depth in range(max(1, levels - 2), levels + 3):
        codec = JsonCodec(CHAIN, limits=Limits(max_depth=max_depth))
        assert _outcome(codec.decode, data) == _outcome(_walked(codec), data), max_depth
