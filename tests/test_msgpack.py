"""The MessagePack codec: mapping details, streams and bad input."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import msgpack
import pytest

from fmtbench.codecs.msgpack.codec import MsgpackCodec
from fmtbench.errors import DecodeError, EncodeError
from fmtbench.values import Timestamp
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema


@pytest.fixture(scope="module")
def orders() -> MsgpackCodec:
    return MsgpackCodec(order_schema())


@pytest.fixture(scope="module")
def sensors() -> MsgpackCodec:
    return MsgpackCodec(sensor_schema())


def test_mapping_uses_native_types(sensors: MsgpackCodec) -> None:
    raw = msgpack.unpackb(sensors.encode(SENSORS[0]), raw=False, strict_map_key=False, timestamp=0)
    assert isinstance(raw["payload"], bytes)  # bin, not base64
    assert raw["at"] == msgpack.Timestamp.from_datetime(SENSORS[0]["at"])  # extension -1
    assert raw["histogram"][-5] == 1  # integer keys stay integers
    assert raw["enabled"][True] == "yes"
    assert raw["level"] == "WARN"


def test_round_trip_and_stream(orders: MsgpackCodec, sensors: MsgpackCodec) -> None:
    for codec, records in ((orders, ORDERS), (sensors, SENSORS)):
        for record in records:
            assert_same(codec.decode(codec.encode(record)), record)
        data = codec.encode_many(records)
        assert_same(codec.decode_many(data), records)


def test_truncated_stream_is_an_error_not_a_short_read(orders: MsgpackCodec) -> None:
    data = orders.encode_many(ORDERS)
    for cut in (1, 10, len(data) - len(orders.encode(ORDERS[-1])) + 1):
        with pytest.raises(DecodeError, match="truncated") as info:
            orders.decode_many(data[:-cut])
        assert "record " in str(info.value)


def test_single_decode_rejects_truncation_and_trailing_bytes(orders: MsgpackCodec) -> None:
    data = orders.encode(ORDERS[0])
    with pytest.raises(DecodeError, match="truncated"):
        orders.decode(data[:-1])
    with pytest.raises(DecodeError, match="extra bytes"):
        orders.decode(data + b"\x00")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"id": "1"}, "id: expected uint64, got str"),
        ({"lines": [{"quantity": -1}]}, r"lines\[0\]\.quantity: -1 is out of range"),
        ({1: "x"}, "unknown field 1"),
        ({"placed_at": 5}, "placed_at: expected timestamp"),
        (
            {"customer": {"address": {"country": b"CH"}}},
            r"customer\.address\.country: expected string, got bytes",
        ),
        (
            {"labels": {"k": msgpack.ExtType(42, b"x")}},
            r'labels\["k"\]: expected string, got ExtType',
        ),
    ],
)
def test_wrong_values_name_the_field(orders: MsgpackCodec, obj: object, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        orders.decode(msgpack.packb(obj, use_bin_type=True))


def test_sub_microsecond_timestamp_is_kept(orders: MsgpackCodec) -> None:
    obj = {"placed_at": msgpack.Timestamp(10, 1)}
    record = orders.decode(msgpack.packb(obj))
    assert record["placed_at"] == Timestamp.from_parts(10, 1)
    assert record["placed_at"].nanosecond == 1
    assert msgpack.unpackb(orders.encode(record), timestamp=0)["placed_at"] == obj["placed_at"]


@pytest.mark.parametrize("data", [b"\xc1", b"\x81\xa2id", b"\xdd\xff\xff\xff\xff"])
def test_garbage_is_a_clean_error(orders: MsgpackCodec, data: bytes) -> None:
    with pytest.raises(DecodeError):
        orders.decode(data)
    with pytest.raises(DecodeError):
        orders.decode_many(data)


def test_encode_error_names_the_path(orders: MsgpackCodec) -> None:
    bad = {**ORDERS[1], "labels": {"k": 3}}
    with pytest.raises(EncodeError, match=r'labels\["k"\]: expected string, got int'):
        orders.encode(bad)
    surrogate = {**ORDERS[1], "note": "\udfff"}
    with pytest.raises(EncodeError, match="note: string holds a lone surrogate"):
        orders.encode(surrogate)


def test_non_utc_timestamps_are_normalised(orders: MsgpackCodec) -> None:
    from datetime import timedelta, timezone

    local = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    back = orders.decode(orders.encode({**ORDERS[1], "placed_at": local}))
    assert back["placed_at"] == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert back["placed_at"].tzinfo is UTC


def test_reader_streams_from_a_file(orders: MsgpackCodec) -> None:
    data = orders.encode_many(ORDERS * 50)
    reader = orders.reader(io.BytesIO(data))
    assert sum(1 for _ in reader) == 150


def test_nesting_past_msgpacks_own_cap_is_a_limit_error_that_says_so() -> None:
    # msgpack's C unpacker stops at 1024 containers with a StackError that has no message:
    # it read as "malformed MessagePack: " with nothing after it (issue 12, item 22).
    import io

    from fmtbench import LimitError, codec_for, resolve_schema

    c = codec_for("msgpack", resolve_schema("sensor"))
    for depth in (1025, 5000):
        data = b"\x81\xa8children" + b"\x91" * depth + b"\xc0"
        for read in (c.decode, lambda d: list(c.reader(io.BytesIO(b"\x80" + d)))):
            with pytest.raises(LimitError, match=r"over 1024 containers, past the limit of 100"):
                read(data)
