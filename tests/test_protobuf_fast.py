"""The generated Protobuf decode (``fast_read.py``) against the reference walker.

``ProtobufCodec.decode`` runs the generated walk and falls back to the reference walker on
any exception, so its outcome must always be the reference's: the same record, with its keys
in the same order, or the same error with the same path. These tests check that on valid
bytes of every property-test schema and on the same bytes cut, overwritten, extended with
unknown fields, or replaced with noise; and that the generated walk, when it accepts, agrees
with the reference on its own (it never accepts what the reference refuses).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protobuf.fast_read import FastDecoders, _attr
from fmtbench.codecs.protobuf.frames import varint
from fmtbench.errors import DecodeError
from fmtbench.schema import parse_schema
from fmtbench.schema.proto import compile_classes
from fmtbench.schema.values import EPOCH
from tests.samples import ORDERS, same
from tests.strategies import SCHEMAS, records, schema_named

UNKNOWN_500 = b"\xa0\x1f\x01"  # field 500, varint 1


@cache
def codec(schema: str, drop_unknown: bool = False) -> ProtobufCodec:
    return ProtobufCodec(schema_named(schema), drop_unknown=drop_unknown)


def same_order(a: Any, b: Any) -> bool:
    """Equal (canonically) with every dict's keys in the same order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_order(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_order(x, y) for x, y in zip(a, b, strict=True))
    return same(a, b)


def outcome(fn: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", fn())
    except DecodeError as exc:
        return ("error", str(exc), exc.path)


def reference_decode(c: ProtobufCodec, data: bytes) -> Any:
    return c._from_message_reference(c.parse(data))


def check_agrees(c: ProtobufCodec, data: bytes) -> None:
    expected = outcome(lambda: reference_decode(c, data))
    got = outcome(lambda: c.decode(data))
    assert got[0] == expected[0], (got, expected)
    if got[0] == "ok":
        assert same_order(got[1], expected[1]), (got, expected)
    else:
        assert got == expected
    # The generated walk on its own: it may give up, but never accepts what the reference
    # refuses, nor returns anything else than the reference's record.
    try:
        msg = c.parse(data)
    except DecodeError:
        return
    try:
        fast = c._fast(msg)
    except Exception:
        return
    assert expected[0] == "ok", (fast, expected)
    assert same_order(fast, expected[1])


def messages_in(msg: Any) -> list[Any]:
    """``msg`` and every message below it: sub-messages, list items, map values."""
    found = [msg]
    for fd, value in msg.ListFields():
        if fd.message_type is None:
            continue
        if fd.message_type.GetOptions().map_entry:
            if fd.message_type.fields_by_name["value"].message_type is not None:
                for v in value.values():
                    found += messages_in(v)
        elif fd.is_repeated:
            for v in value:
                found += messages_in(v)
        else:
            found += messages_in(value)
    return found


# Field 500 as a varint; field 1 as 32 bits (a wrong wire type for most fields 1);
# field 2 as a length-delimited empty value.
STRAYS = [UNKNOWN_500, b"\x0d\x00\x00\x00\x00", b"\x12\x00"]


def mutate(data: bytes, draw: Any, c: ProtobufCodec) -> bytes:
    how = draw(st.sampled_from(["cut", "overwrite", "insert", "append-unknown", "nested", "noise"]))
    if how == "nested":
        # A stray field in one message anywhere in the tree (a list item, a map value, a
        # timestamp), added by upb itself so that the rest stays well formed.
        msg = c.parse(data)
        target = draw(st.sampled_from(messages_in(msg)))
        target.MergeFromString(draw(st.sampled_from(STRAYS)))
        return bytes(msg.SerializeToString())
    at = draw(st.integers(0, len(data)))
    if how == "cut":
        return data[:at]
    if how == "overwrite" and data:
        at = min(at, len(data) - 1)
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if how == "append-unknown":
        return data + UNKNOWN_500
    return draw(st.binary(max_size=64))


@pytest.mark.parametrize("drop_unknown", [False, True], ids=["strict", "drop-unknown"])
@pytest.mark.parametrize("schema", SCHEMAS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_decode_agrees_with_the_reference(schema: str, drop_unknown: bool, data: Any) -> None:
    c = codec(schema, drop_unknown)
    record = data.draw(records(schema_named(schema)))
    valid = c.encode(record)
    check_agrees(c, valid)
    # Valid bytes take the fast path: the fallback is for trouble only.
    assert same_order(c._fast(c.parse(valid)), reference_decode(c, valid))
    for _ in range(3):
        check_agrees(c, mutate(valid, data.draw, c))


def order_bytes(**fields: Any) -> bytes:
    """An order built directly (to write what our encoder never would)."""
    return codec("order").message_class(**fields).SerializeToString()


def wrap(number: int, body: bytes) -> bytes:
    """A length-delimited field: ``body`` as field ``number``."""
    return varint(number << 3 | 2) + varint(len(body)) + body


@pytest.mark.parametrize(
    ("data", "path"),
    [
        # Unknown fields in messages the generated code writes out inline, not as calls.
        (wrap(4, UNKNOWN_500), "customer"),
        (wrap(4, wrap(5, UNKNOWN_500)), "customer.address"),
        (wrap(2, b"\x08\x01" + UNKNOWN_500), "placed_at"),
        (wrap(10, b"\x08\x01" + UNKNOWN_500), "shipped_at"),
        (wrap(5, b"") + wrap(5, UNKNOWN_500), "lines[1]"),
        (UNKNOWN_500, ""),
    ],
)
def test_unknown_fields_everywhere_keep_their_paths(data: bytes, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        codec("order").decode(data)
    assert info.value.path == path
    assert "unknown field number 500" in str(info.value)
    check_agrees(codec("order"), data)
    check_agrees(codec("order", True), data)


@pytest.mark.parametrize(
    "ts",
    [
        {"seconds": 0, "nanos": 999_999_000},
        {"seconds": -1, "nanos": 500_000_000},
        {"seconds": -62135596800},  # 0001-01-01, the first instant a datetime holds
        {"seconds": 253402300799, "nanos": 999_999_000},  # 9999-12-31T23:59:59.999999
        {"seconds": 253402300800},
        {"seconds": -62135596801},
        {"seconds": 1, "nanos": 999_999_999},
        {"seconds": 1, "nanos": 1_000_000_000},
        {"seconds": 1, "nanos": -1000},
        {"seconds": 1, "nanos": 1},
        {"seconds": 2**62},
        # Either side of where fromtimestamp stops being exact (fast_read._EXACT_SECONDS).
        {"seconds": 2**31 - 1, "nanos": 999_999_000},
        {"seconds": 2**31, "nanos": 1000},
        {"seconds": -(2**31) + 1, "nanos": 500_000_000},
        {"seconds": -(2**31), "nanos": 999_999_000},
    ],
)
@pytest.mark.parametrize("field", ["placed_at", "shipped_at"])
def test_timestamps_at_the_edges(field: str, ts: dict[str, int]) -> None:
    data = order_bytes(**{field: ts})
    check_agrees(codec("order"), data)
    check_agrees(codec("order", True), data)


def test_timestamp_values() -> None:
    record = codec("order").decode(order_bytes(shipped_at={"seconds": -1, "nanos": 500_000_000}))
    assert record["shipped_at"] == datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert record["shipped_at"].tzinfo is UTC


def test_fromtimestamp_is_exact_within_its_range() -> None:
    """The fast walk's datetime of whole microseconds is the reference's arithmetic."""
    rnd = random.Random(16)
    edges = [-(2**31) + 1, -86401, -1, 0, 1, 2**31 - 1]
    seconds = edges + [rnd.randrange(-(2**31) + 1, 2**31) for _ in range(20_000)]
    micros = [0, 1, 499_999, 500_000, 500_001, 999_999]
    for s in seconds:
        for us in [*micros, rnd.randrange(10**6)]:
            got = datetime.fromtimestamp(s + us * 1000 / 1e9, UTC)
            assert got == EPOCH + timedelta(0, s, us), (s, us)


def test_unknown_enum_numbers() -> None:
    check_agrees(codec("order"), order_bytes(status=99))
    check_agrees(codec("order"), order_bytes(currency=-1))


def test_records_keep_the_reference_key_order() -> None:
    c = codec("order")
    for record in ORDERS:
        data = c.encode(record)
        assert same_order(c.decode(data), reference_decode(c, data))


def test_field_names_that_are_keywords_or_methods() -> None:
    schema = parse_schema(
        "schema: t.names\nmessages: {M: {fields: {HasField: optional int32 = 1,"
        " DESCRIPTOR: optional string = 2, from: int32 = 3, ParseFromString: int32 = 4,"
        ' FromString: optional M = 5, class: "map<string, M> = 6"}}}'
    )
    c = ProtobufCodec(schema)
    record = {
        "HasField": 1,
        "DESCRIPTOR": "d",
        "from": 7,
        "ParseFromString": 2,
        "class": {"k": {"from": 1, "ParseFromString": 0, "class": {}}},
        "FromString": {"from": 3, "ParseFromString": 0, "class": {}},
    }
    data = c.encode(record)
    assert same(c.decode(data), record)
    check_agrees(c, data)
    check_agrees(c, data + UNKNOWN_500)


def test_attribute_spelling() -> None:
    assert _attr("m", "name") == "m.name"
    assert _attr("m", "from") == "getattr(m, 'from')"
    # NFKC would read the ligature as "fi": another field. Never spelled as an attribute.
    assert _attr("m", "\ufb01eld") == "getattr(m, '\ufb01eld')"
    assert _attr("m", "a-b") == "getattr(m, 'a-b')"


def test_inlining_is_bounded_and_skips_recursive_types() -> None:
    chain = "".join(
        f"  T{i}:\n    fields:\n"
        + "".join(f"      f{j}: string = {j + 1}\n" for j in range(10))
        + (f"      next: T{i + 1} = 20\n" if i < 9 else "")
        for i in range(10)
    )
    schema = parse_schema(f"schema: t.chain\nroot: T0\nmessages:\n{chain}")
    gen = FastDecoders(schema, compile_classes(schema).classes, strict=True)
    first = gen.source().split("\ndef ")[0]
    assert "_m" in first.split("\n", 1)[1]  # not everything written out: some calls remain
    c = ProtobufCodec(schema)
    record: dict[str, Any] = {}
    node = record
    for i in range(10):
        node.update({f"f{j}": f"{i}.{j}" for j in range(10)})
        if i < 9:
            node["next"] = node = {}
    data = c.encode(record)
    assert same_order(c.decode(data), reference_decode(c, data))
    check_agrees(c, wrap(20, wrap(20, wrap(20, UNKNOWN_500))))
    tree = FastDecoders(
        schema_named("tree"), compile_classes(schema_named("tree")).classes, strict=True
    )
    assert tree.cyclic == {"Node"}
