"""The fast writer (structs/write.py) against the reference tree path, in JSON and MessagePack:
it never writes a record the tree path refuses, and what it writes is byte for byte the
tree path's output.

Generated canonical records are mutated with values msgspec alone would write differently
(NaN, non-UTC or naive datetimes, ints in float fields, float32 values that are not float32,
integers past 64 bits) and with wrong types, missing and unknown fields.
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.base import Codec
from fmtbench.codecs.json.codec import WRITE_TARGET as JSON_TARGET
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.msgpack.codec import WRITE_TARGET as MSGPACK_TARGET
from fmtbench.codecs.msgpack.codec import MsgpackCodec
from fmtbench.codecs.structs.write import DECLINED, compile_writer
from fmtbench.codecs.values.tree import TreeConverter
from fmtbench.errors import EncodeError, ValueMismatch
from tests.samples import tree_paths
from tests.strategies import SCHEMAS, records, schema_named

HOSTILE: list[Any] = [
    None,
    0,
    1,
    -1,
    True,
    1.0,
    0.1,
    -0.0,
    1e16,
    1e300,
    5e-324,
    3.4028235e38,
    3.5e38,
    math.nan,
    math.inf,
    -math.inf,
    2**31,
    2**32,
    2**53 + 1,
    2**63,
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    "",
    "x",
    "PENDING",
    "AAE=",
    "2024-01-01T10:00:00Z",
    "\ud800",
    b"\x00\xff",
    bytearray(b"ab"),
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 10, 0, 0, 120000, tzinfo=UTC),
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(0))),
    datetime(2024, 1, 1),
    [],
    {},
    [1],
    {"x": 1},
    (1, 2),
]


def outcome(fn: Any, rec: Any) -> Any:
    try:
        return fn(rec)
    except (EncodeError, *DECLINED) as exc:
        return type(exc)


def reference(codec: Codec, rec: Any) -> bytes | type[EncodeError]:
    """What the tree path writes, never the fast path."""
    try:
        if isinstance(codec, JsonCodec):
            return codec.dumps(codec.to_tree(rec), rec)
        assert isinstance(codec, MsgpackCodec)
        check = TreeConverter(codec.schema, msgpack_rules()).message(codec.message.name)
        return codec._packer.pack(check(rec))  # type: ignore[no-any-return]
    except (EncodeError, ValueMismatch, ValueError, TypeError, OverflowError):
        return EncodeError


def msgpack_rules() -> Any:
    from fmtbench.codecs.msgpack.codec import ENCODE_RULES

    return ENCODE_RULES


CODECS = {"json": JsonCodec, "msgpack": MsgpackCodec}


def check(codec: Codec, fast: Any, rec: Any) -> None:
    try:
        out = fast(rec)
    except DECLINED:
        return
    ref = reference(codec, rec)
    assert ref is not EncodeError, f"fast path wrote what the tree path refuses: {rec!r}"
    assert out == ref, f"bytes differ for {rec!r}:\n{out!r}\n{ref!r}"


TARGETS = {"json": JSON_TARGET, "msgpack": MSGPACK_TARGET}


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("name", SCHEMAS)
def test_fast_writer_agrees_with_the_tree_path(name: str, fmt: str) -> None:
    schema = schema_named(name)
    codec = CODECS[fmt](schema)
    writer = compile_writer(schema, codec.message.name, TARGETS[fmt])
    if writer is None:
        pytest.skip(f"{name}: map keys other than strings are left to the tree path")
    fast = writer.encode

    @given(rec=records(schema), rnd=st.randoms(use_true_random=False))
    def prop(rec: dict[str, Any], rnd: Any) -> None:
        check(codec, fast, rec)
        assert codec.encode(rec) == reference(codec, rec)
        where = list(tree_paths(rec))
        for _ in range(8):
            r = copy.deepcopy(rec)
            if where and rnd.random() < 0.8:
                p = rnd.choice(where)
                parent = r
                for step in p[:-1]:
                    parent = parent[step]
                parent[p[-1]] = rnd.choice(HOSTILE)
            elif where and rnd.random() < 0.5:
                p = rnd.choice(where)
                parent = r
                for step in p[:-1]:
                    parent = parent[step]
                if isinstance(parent, dict):
                    del parent[p[-1]]
            else:
                r["no_such_field"] = 1
            check(codec, fast, r)
            assert outcome(codec.encode, r) in (reference(codec, r), EncodeError)

    prop()


def test_values_msgspec_would_change_take_the_tree_path() -> None:
    schema = schema_named("order")
    codec = JsonCodec(schema)
    writer = compile_writer(schema, "Order", TARGETS["json"])
    assert writer is not None
    rec = codec.decode(codec.encode(_order()))
    line = rec["lines"][0]
    for field, value, spelled in [
        ("weight_kg", math.nan, b'"NaN"'),
        ("weight_kg", -math.inf, b'"-Infinity"'),
        ("weight_kg", 3, b"3.0"),
        ("discount", 0.1, b"0.10000000149011612"),
    ]:
        line[field] = value
        with pytest.raises(DECLINED):
            writer.encode(rec)
        assert spelled in codec.encode(rec)
        line[field] = 0.5
    rec["placed_at"] = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(DECLINED):
        writer.encode(rec)
    assert b'"2024-01-01T10:00:00Z"' in codec.encode(rec)
    rec["placed_at"] = datetime(2024, 1, 1, 12)
    with pytest.raises(EncodeError, match="placed_at: expected a timezone-aware"):
        codec.encode(rec)
    rec["placed_at"] = datetime(2024, 1, 1, tzinfo=UTC)
    rec["id"] = 2**64
    with pytest.raises(EncodeError, match=r"^id: 18446744073709551616 is out of range"):
        codec.encode(rec)


def _order() -> dict[str, Any]:
    return {
        "id": 1,
        "placed_at": datetime(2024, 1, 1, tzinfo=UTC),
        "status": "PAID",
        "customer": {"id": 2, "name": "A", "email": "a@b", "vip": False},
        "lines": [
            {
                "sku": "s",
                "quantity": 1,
                "unit_price_cents": 5,
                "weight_kg": 0.5,
                "discount": 0.5,
                "attributes": {"b": "1", "a": "2"},
            }
        ],
        "labels": {},
        "currency": "EUR",
        "total_cents": 5,
        "channel": "web",
        "gift_wrap": False,
    }
