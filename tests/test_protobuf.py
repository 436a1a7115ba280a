"""The Protobuf codecs: round trips, interop with protoc, and every way bytes can be wrong."""

from __future__ import annotations

import io
import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from fmtbench.codecs.protobuf.codec import ProtobufCodec, ProtobufDelimitedCodec
from fmtbench.codecs.protobuf.frames import varint
from fmtbench.errors import DecodeError, EncodeError, LimitError
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.values import EPOCH, zero_message
from fmtbench.values import Timestamp
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema
from tests.test_proto_compiler import protoc, write_proto

CASES = [(order_schema, r) for r in ORDERS] + [(sensor_schema, r) for r in SENSORS]
CASE_IDS = [f"order{i}" for i in range(len(ORDERS))] + [f"sensor{i}" for i in range(len(SENSORS))]


@pytest.fixture(scope="module")
def order() -> ProtobufCodec:
    return ProtobufCodec(order_schema())


@pytest.fixture(scope="module")
def orders() -> ProtobufDelimitedCodec:
    return ProtobufDelimitedCodec(order_schema())


def copy_order(**changes: Any) -> dict[str, Any]:
    return {**ORDERS[0], **changes}


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "record"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("drop_unknown", [False, True])
def test_round_trip(make: Callable[[], Schema], record: dict[str, Any], drop_unknown: bool) -> None:
    schema = make()
    for cls in (ProtobufCodec, ProtobufDelimitedCodec):
        codec = cls(schema, drop_unknown=drop_unknown)
        assert_same(codec.decode(codec.encode(record)), record)
        assert_same(codec.from_message(codec.to_message(record)), record)


@pytest.mark.parametrize(("make", "record"), CASES, ids=CASE_IDS)
def test_single_file_round_trip(make: Callable[[], Schema], record: dict[str, Any]) -> None:
    codec = ProtobufCodec(make())
    buf = io.BytesIO()
    writer = codec.writer(buf, single=True)
    writer.write(record)
    writer.close()
    assert buf.getvalue() == codec.encode(record)  # no framing at all
    reader = codec.reader(io.BytesIO(buf.getvalue()))
    (back,) = list(reader)
    assert_same(back, record)
    assert reader.single
    assert reader.count == 1


@pytest.mark.parametrize(
    ("make", "records"), [(order_schema, ORDERS), (sensor_schema, SENSORS)], ids=["order", "sensor"]
)
def test_delimited_file_round_trip(
    make: Callable[[], Schema], records: list[dict[str, Any]]
) -> None:
    codec = ProtobufDelimitedCodec(make())
    data = codec.encode_many(records)
    # Exactly writeDelimitedTo's framing: varint length, then the message.
    expected = b"".join(varint(len(b)) + b for b in map(codec.encode, records))
    assert data == expected
    reader = codec.reader(io.BytesIO(data))
    assert_same(list(reader), records)
    assert not reader.single
    assert reader.count == len(records)
    # An empty stream is refused both ways: it cannot be told from a writer that failed.
    with pytest.raises(DecodeError, match="the input is empty"):
        codec.decode_many(b"")
    with pytest.raises(EncodeError, match="no records to write"):
        codec.encode_many([])


def test_deterministic_bytes(order: ProtobufCodec) -> None:
    record = ORDERS[0]
    reordered = copy_order(labels=dict(reversed(list(record["labels"].items()))))
    assert order.encode(record) == order.encode(record)
    assert order.encode(reordered) == order.encode(record)


def test_float32_is_rounded_and_comes_back_exact(order: ProtobufCodec) -> None:
    line = {**ORDERS[0]["lines"][0], "discount": 0.1}
    back = order.decode(order.encode(copy_order(lines=[line])))
    assert back["lines"][0]["discount"] == 0.10000000149011612


def test_empty_input_is_the_zero_message(order: ProtobufCodec) -> None:
    zero = order.decode(b"")
    assert_same(zero, zero_message(order.schema, "Order"))
    assert zero["placed_at"] == EPOCH
    (from_file,) = order.reader(io.BytesIO(b""))
    assert_same(from_file, zero)


def test_native_step(order: ProtobufCodec) -> None:
    msg: Any = order.to_message(ORDERS[0])
    assert msg.DESCRIPTOR.full_name == "shop.order.Order"
    assert msg.customer.address.city == "Zürich"
    assert msg.status == 1  # PAID: proto numbering is the schema's
    assert isinstance(msg, order.message_class)
    assert_same(order.from_message(msg), ORDERS[0])


def test_fields_named_like_message_methods() -> None:
    # upb lets a field shadow a method of the same name; the codec must not call the field.
    schema = parse_schema(
        "schema: t.methods\nmessages: {M: {fields: {HasField: optional int32 = 1,"
        " DESCRIPTOR: optional string = 2, Clear: int32 = 3, ByteSize: bool = 4,"
        " from: optional int32 = 5}}}"
    )
    codec = ProtobufCodec(schema)
    record = {"HasField": 1, "DESCRIPTOR": "d", "Clear": 0, "ByteSize": True, "from": 7}
    assert_same(codec.decode(codec.encode(record)), record)
    partial = {"Clear": 3, "ByteSize": False}
    assert_same(codec.decode(codec.encode(partial)), partial)
    with pytest.raises(DecodeError, match=r"^unknown field number 500 \(varint\) in M "):
        codec.decode(UNKNOWN_500)


def test_varint() -> None:
    assert varint(0) == b"\x00"
    assert varint(1) == b"\x01"
    assert varint(300) == b"\xac\x02"
    assert varint(2**64 - 1) == b"\xff" * 9 + b"\x01"


# -- interop with protoc -------------------------------------------------------------------
def test_protoc_decodes_our_bytes(order: ProtobufCodec, tmp_path: Path) -> None:
    name = write_proto(order.schema, tmp_path)
    result = protoc(["--decode=shop.order.Order", name], tmp_path, order.encode(ORDERS[0]))
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    for fragment in [
        "id: 18446744073709551615",
        "status: STATUS_PAID",
        "currency: CURRENCY_EUR",
        'sku: "A-1"',
        "quantity: 4294967295",
        "unit_price_cents: -9223372036854775808",
        "seconds: 1709296205",
        "nanos: 123456000",
        'key: "colour"',
    ]:
        assert fragment in text, fragment


def test_we_decode_protoc_bytes(tmp_path: Path) -> None:
    codec = ProtobufCodec(sensor_schema())
    name = write_proto(codec.schema, tmp_path)
    text = (
        'sensor: "s" at { seconds: -1 nanos: 500000000 } level: LEVEL_WARN raw: 0.5\n'
        "histogram { key: -5 value: 7 } enabled { key: true value: 'y' }\n"
        "samples: [1.5, -0.0] levels: [LEVEL_ERROR, LEVEL_UNKNOWN]\n"
        'children { sensor: "c" note: "n" }\n'
    )
    result = protoc(["--encode=iot.sensor.Reading", name], tmp_path, text.encode())
    assert result.returncode == 0, result.stderr.decode()
    record = codec.decode(result.stdout)
    assert record["at"] == datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert record["level"] == "WARN"
    assert record["histogram"] == {-5: 7}
    assert record["enabled"] == {True: "y"}
    assert_same(record["samples"], [1.5, -0.0])
    assert record["levels"] == ["ERROR", "UNKNOWN"]
    assert record["children"][0]["note"] == "n"
    assert "note" not in record
    assert "parent" not in record


# -- bad bytes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [b"\xff\xff\xff", b"\x0a", b"\x3a\x05ab", b"\x3a\x02\xff\xfe", b"\x07", b"\x80" * 11],
    ids=["garbage", "cut-tag", "cut-string", "bad-utf8", "wire-type-7", "endless-varint"],
)
def test_malformed_message(order: ProtobufCodec, data: bytes) -> None:
    with pytest.raises(DecodeError, match="not a valid Order message"):
        order.decode(data)


def test_truncated_message(order: ProtobufCodec) -> None:
    data = order.encode(ORDERS[0])
    with pytest.raises(DecodeError) as info:
        list(order.reader(io.BytesIO(data[:-3])))
    assert str(info.value).startswith("record 1: not a valid Order message")


def encode_with(codec: ProtobufCodec | ProtobufDelimitedCodec, **fields: Any) -> bytes:
    """Bytes of a message built directly (to write what our encoder never would)."""
    return codec.message_class(**fields).SerializeToString()


# Field 500 as a varint: tag (500 << 3 | 0) = a0 1f, value 1.
UNKNOWN_500 = b"\xa0\x1f\x01"


@pytest.mark.parametrize(
    ("where", "build"),
    [
        ("", lambda body: body + UNKNOWN_500),
        ("customer", lambda body: body + b"\x22\x03" + UNKNOWN_500),
        ("lines[1]", lambda body: body + b"\x2a\x00" + b"\x2a\x03" + UNKNOWN_500),
    ],
    ids=["top", "nested", "in-list"],
)
def test_unknown_field_is_an_error_naming_it(
    order: ProtobufCodec, where: str, build: Callable[[bytes], bytes]
) -> None:
    body = order.encode(copy_order(lines=[]))
    data = build(body)
    with pytest.raises(DecodeError) as info:
        order.decode(data)
    message = str(info.value)
    assert "unknown field number 500 (varint)" in message
    assert message.startswith(f"{where}: unknown" if where else "unknown")
    assert "--drop-unknown" in message
    lenient = ProtobufCodec(order.schema, drop_unknown=True).decode(data)
    assert lenient["id"] == ORDERS[0]["id"]


def test_unknown_field_in_a_timestamp(order: ProtobufCodec) -> None:
    data = b"\x12\x05\x08\x01" + UNKNOWN_500
    with pytest.raises(DecodeError, match=r"^placed_at: unknown field number 500 .* Timestamp"):
        order.decode(data)
    record = ProtobufCodec(order.schema, drop_unknown=True).decode(data)
    assert record["placed_at"] == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_known_number_with_wrong_wire_type(order: ProtobufCodec) -> None:
    data = b"\x0a\x01x"  # id (a varint field) sent as length-delimited
    with pytest.raises(DecodeError, match=r"field number 1 \(id\) holds length-delimited"):
        order.decode(data)
    assert ProtobufCodec(order.schema, drop_unknown=True).decode(data)["id"] == 0


def test_unknown_field_inside_a_map_entry(order: ProtobufCodec) -> None:
    entry = b"\x0a\x01a\x12\x01b" + UNKNOWN_500
    data = b"\x32" + varint(len(entry)) + entry
    with pytest.raises(DecodeError, match=r"field number 6 \(labels\)"):
        order.decode(data)


def test_unknown_field_hidden_by_a_short_map_entry(order: ProtobufCodec) -> None:
    # The empty entry is 4 bytes shorter than upb writes it ({"": ""} with key and value),
    # and the unknown field is 4 bytes: ByteSize() after discarding equals len(data).
    data = b"\x32\x00" + b"\xa0\x1f\x81\x01"
    parsed = order.message_class.FromString(data)
    parsed.DiscardUnknownFields()
    assert parsed.ByteSize() == len(data)
    with pytest.raises(DecodeError, match="unknown field number 500"):
        order.decode(data)


@pytest.mark.parametrize(
    ("make", "fields", "path"),
    [
        (order_schema, {"status": 99}, "status"),
        (sensor_schema, {"levels": [1, 7]}, "levels[1]"),
        (sensor_schema, {"children": [{}, {"unit": 42}]}, "children[1].unit"),
    ],
)
def test_unknown_enum_number(make: Callable[[], Schema], fields: dict[str, Any], path: str) -> None:
    codec = ProtobufCodec(make())
    with pytest.raises(DecodeError) as info:
        codec.decode(encode_with(codec, **fields))
    assert str(info.value).startswith(f"{path}: enum ")
    assert "has no value numbered" in str(info.value)


@pytest.mark.parametrize(
    ("ts", "problem"),
    [
        ({"seconds": 1, "nanos": -1000}, "nanos -1000 is outside"),
        ({"seconds": 1, "nanos": 1_000_000_000}, "nanos 1000000000 is outside"),
        ({"seconds": 2**40}, "outside years 1..9999"),
        ({"seconds": -62135596801}, "outside years 1..9999"),
    ],
)
def test_timestamps_we_cannot_hold(order: ProtobufCodec, ts: dict[str, int], problem: str) -> None:
    with pytest.raises(DecodeError) as info:
        order.decode(encode_with(order, shipped_at=ts))
    assert str(info.value).startswith("shipped_at: ")
    assert problem in str(info.value)


def test_nanoseconds_are_kept(order: ProtobufCodec) -> None:
    record = order.decode(encode_with(order, shipped_at={"seconds": 1, "nanos": 1500}))
    assert record["shipped_at"] == Timestamp.from_parts(1, 1500)
    assert record["shipped_at"].nanosecond == 500


# -- delimited streams ---------------------------------------------------------------------
def pipe_of(data: bytes) -> BinaryIO:
    """A real non-seekable stream: the reading end of an OS pipe, fed by a thread."""
    r, w = os.pipe()

    def feed() -> None:
        with os.fdopen(w, "wb") as out:
            out.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return os.fdopen(r, "rb")


@pytest.fixture(params=["bytesio", "file", "pipe"])
def stream(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[bytes], BinaryIO]]:
    """Streams of the given bytes: in memory, a real file (whose read(n) would allocate n
    bytes up front), and a pipe that cannot tell how much is left."""
    opened: list[BinaryIO] = []

    def make(data: bytes) -> BinaryIO:
        f: BinaryIO
        if request.param == "bytesio":
            f = io.BytesIO(data)
        elif request.param == "file":
            path = tmp_path / f"stream{len(opened)}.pbd"
            path.write_bytes(data)
            f = path.open("rb")
        else:
            f = pipe_of(data)
        opened.append(f)
        return f

    yield make
    for f in opened:
        f.close()


def two_orders(orders: ProtobufDelimitedCodec) -> tuple[bytes, int]:
    """Two records; the second's length prefix starts at the returned offset."""
    first = orders.encode_many(ORDERS[:1])
    return first + orders.encode_many(ORDERS[2:3]), len(first)


def test_cut_in_the_length_prefix(
    orders: ProtobufDelimitedCodec, stream: Callable[[bytes], BinaryIO]
) -> None:
    data = orders.encode_many(ORDERS[:1]) * 2
    second = len(data) // 2
    assert data[second] & 0x80  # a 2-byte prefix: cut after its first byte
    with pytest.raises(DecodeError) as info:
        list(orders.reader(stream(data[: second + 1])))
    assert str(info.value) == (
        f"record 2: byte offset {second}: truncated: the length prefix ends after 1 bytes"
    )


def test_cut_in_the_body(
    orders: ProtobufDelimitedCodec, stream: Callable[[bytes], BinaryIO]
) -> None:
    data, second = two_orders(orders)
    reader = orders.reader(stream(data[:-5]))
    assert_same(next(reader), ORDERS[0])
    with pytest.raises(DecodeError) as info:
        next(reader)
    length = len(orders.encode(ORDERS[2]))
    assert str(info.value) == (
        f"record 2: byte offset {second}: truncated: declares {length} bytes"
        f" but only {length - 5} remain"
    )


def test_huge_declared_length_fails_without_allocating(
    orders: ProtobufDelimitedCodec, stream: Callable[[bytes], BinaryIO]
) -> None:
    data = varint(2**40) + b"abc"
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError) as info:
            list(orders.reader(stream(data)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    message = str(info.value)
    assert message.startswith("record 1: byte offset 0: ")
    # A seekable stream knows it is truncated; a pipe can only say it is over the limit.
    assert "declares 1099511627776 bytes" in message
    assert "only 3 remain" in message or isinstance(info.value, LimitError)


def test_limit_on_message_size(stream: Callable[[bytes], BinaryIO]) -> None:
    small = ProtobufDelimitedCodec(order_schema(), max_message_bytes=100)
    data = ProtobufDelimitedCodec(order_schema()).encode_many([ORDERS[1], ORDERS[0]])
    reader = small.reader(stream(data))
    assert_same(next(reader), ORDERS[1])
    with pytest.raises(LimitError, match=r"^record 2: .* over the limit of 100 bytes"):
        next(reader)
    with pytest.raises(LimitError, match="over the limit of 100 bytes"):
        list(ProtobufCodec(order_schema(), max_message_bytes=100).reader(stream(data)))


def test_malformed_length_prefix(orders: ProtobufDelimitedCodec) -> None:
    data = orders.encode_many(ORDERS[1:2])
    with pytest.raises(DecodeError) as info:
        list(orders.reader(io.BytesIO(data + b"\xff" * 10 + b"\x01")))
    assert str(info.value) == (
        f"record 2: byte offset {len(data)}: malformed length prefix: no varint end within 10 bytes"
    )


def test_bad_record_names_its_place(orders: ProtobufDelimitedCodec) -> None:
    first = orders.encode_many(ORDERS[1:2])
    bad = encode_with(orders, status=99)
    with pytest.raises(DecodeError) as info:
        list(orders.reader(io.BytesIO(first + varint(len(bad)) + bad)))
    assert str(info.value).startswith(f"record 2: byte offset {len(first)}: status: enum Status")


# -- encode errors -------------------------------------------------------------------------
def with_line(index: int, **changes: Any) -> dict[str, Any]:
    lines = [dict(line) for line in ORDERS[0]["lines"]]
    lines[index].update(changes)
    return copy_order(lines=lines)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (with_line(1, quantity="4"), "lines[1].quantity: expected uint32, got str"),
        (with_line(0, quantity=2**32), "lines[0].quantity: 4294967296 is out of range for uint32"),
        (with_line(0, discount=1e39), "lines[0].discount: 1e+39 is too large for float32"),
        (copy_order(status="LOST"), "status: expected one of Status (PENDING, PAID"),
        (copy_order(status=1), "status: expected one of Status"),
        (copy_order(gift_wrap=1), "gift_wrap: expected bool, got int"),
        (copy_order(placed_at=datetime(2024, 1, 1)), "placed_at: expected a timezone-aware"),
        (copy_order(labels={"k": 5}), 'labels["k"]: expected string, got int'),
        ({k: v for k, v in ORDERS[0].items() if k != "id"}, "id: required field is missing"),
        (copy_order(extra=1), "unknown field 'extra' in Order"),
        (copy_order(note="a\ud800b"), "note: string holds a lone surrogate U+D800 at index 1"),
        (
            copy_order(customer={**ORDERS[0]["customer"], "name": "\udfff"}),
            "customer.name: string holds a lone surrogate U+DFFF",
        ),
        (copy_order(labels={"k\ud800": "v"}), 'labels["k\ud800"]: map key: string holds'),
    ],
)
def test_encode_errors_name_the_field(
    order: ProtobufCodec, record: dict[str, Any], message: str
) -> None:
    with pytest.raises(EncodeError) as info:
        order.encode(record)
    assert str(info.value).startswith(message)


def test_non_utc_timestamps_are_normalised(order: ProtobufCodec) -> None:
    from datetime import timedelta, timezone

    local = datetime(2024, 3, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    back = order.decode(order.encode(copy_order(placed_at=local)))
    assert_same(back["placed_at"], ORDERS[0]["placed_at"])


def test_single_form_holds_exactly_one_message(order: ProtobufCodec) -> None:
    writer = order.writer(io.BytesIO())
    writer.write(ORDERS[0])
    with pytest.raises(EncodeError) as info:
        writer.write(ORDERS[1])
    assert str(info.value) == (
        "record 2: the protobuf format holds one message; use protobuf-delimited for many records"
    )
    with pytest.raises(EncodeError, match="no record was written"):
        order.writer(io.BytesIO()).close()
    with pytest.raises(EncodeError, match="holds one message"):
        order.encode_many(ORDERS[:2])


def test_writer_errors_name_the_record(orders: ProtobufDelimitedCodec) -> None:
    writer = orders.writer(io.BytesIO())
    writer.write(ORDERS[0])
    with pytest.raises(EncodeError) as info:
        writer.write(copy_order(total_cents="1"))
    assert str(info.value) == "record 2: total_cents: expected int64, got str"
