"""The JSON and JSON Lines codecs: mapping details and bad input."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime

import orjson
import pytest

from fmtbench.codecs.json.codec import JsonCodec, JsonLinesCodec
from fmtbench.errors import DecodeError, EncodeError
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema


@pytest.fixture(scope="module")
def orders() -> JsonCodec:
    return JsonCodec(order_schema())


@pytest.fixture(scope="module")
def sensors() -> JsonCodec:
    return JsonCodec(sensor_schema())


def test_mapping_spells_values_as_documented(sensors: JsonCodec) -> None:
    doc = orjson.loads(sensors.encode(SENSORS[0]))
    assert doc["value"] == "NaN"
    assert doc["samples"][:3] == ["Infinity", "-Infinity", -0.0]
    assert doc["checksum"] == 18446744073709551615  # an exact JSON number, not a string
    assert doc["sequence"] == -9223372036854775808
    assert doc["payload"].startswith("AAECAwQF")  # base64
    assert doc["at"] == "1969-07-20T20:17:40.500000Z"
    assert doc["level"] == "WARN"  # enums by name
    assert doc["histogram"] == {"-5": 1, "0": 0, "2147483647": 18446744073709551615}
    assert doc["enabled"] == {"true": "yes", "false": "no"}
    assert "calibrated_at" in doc
    assert "calibrated_at" not in doc["parent"]  # absent optional stays absent


def test_round_trip_and_determinism(orders: JsonCodec, sensors: JsonCodec) -> None:
    for codec, records in ((orders, ORDERS), (sensors, SENSORS)):
        for record in records:
            data = codec.encode(record)
            back = codec.decode(data)
            assert_same(back, record)
            assert codec.encode(back) == data


def test_missing_fields_take_zero_values_and_null_optional_is_absent(orders: JsonCodec) -> None:
    record = orders.decode(b'{"id": 5, "note": null, "customer": {}}')
    assert record["id"] == 5
    assert record["status"] == "PENDING"
    assert record["placed_at"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert record["customer"] == {"id": 0, "name": "", "email": "", "vip": False}
    assert record["lines"] == []
    assert record["labels"] == {}
    assert "note" not in record
    assert "shipped_at" not in record


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b'{"id": "5"}', "id: expected uint64, got str"),
        (b'{"id": -1}', "id: -1 is out of range for uint64"),
        (b'{"id": 18446744073709551616}', "id: 18446744073709551616 is out of range for uint64"),
        (b'{"lines": [{}, {"quantity": 1.5}]}', "lines[1].quantity: expected uint32, got float"),
        (b'{"lines": [{"weight_kg": "fast"}]}', "lines[0].weight_kg: expected a number, 'NaN'"),
        (b'{"status": "LOST"}', "status: expected one of Status"),
        (b'{"placed_at": "2024-01-01 10:00"}', "placed_at: expected an RFC 3339 timestamp"),
        (b'{"placed_at": "2024-01-01T10:00:00.1234567891Z"}', "below the nanosecond"),
        (b'{"labels": {"a": 1}}', 'labels["a"]: expected string, got int'),
        (b'{"surprise": 1}', "unknown field 'surprise'"),
        (b'{"customer": {"nickname": "x"}}', "unknown field 'nickname' in Customer"),
        (b'{"note": 5}', "note: expected string, got int"),
        (b'{"customer": null}', "customer: expected Customer (an object), got null"),
        (b"[1, 2]", "expected Order (an object), got list"),
    ],
)
def test_wrong_values_name_the_field(orders: JsonCodec, doc: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        orders.decode(doc)
    assert message in str(info.value)


def test_drop_unknown_discards_only_unknown_keys() -> None:
    codec = JsonCodec(order_schema(), drop_unknown=True)
    assert codec.decode(b'{"id": 1, "surprise": {"deep": 1}}')["id"] == 1


def test_bad_map_keys_and_base64(sensors: JsonCodec) -> None:
    with pytest.raises(DecodeError, match=r'histogram\["01"\]: map key'):
        sensors.decode(b'{"histogram": {"01": 1}}')
    with pytest.raises(DecodeError, match=r'enabled\["yes"\]'):
        sensors.decode(b'{"enabled": {"yes": "x"}}')
    with pytest.raises(DecodeError, match="payload: not valid base64"):
        sensors.decode(b'{"payload": "not base64!"}')


@pytest.mark.parametrize("doc", [b"", b"{", b'{"id": 1,}', b"\xff\xfe", b"[1, 2", b"nul"])
def test_malformed_json_gives_position(orders: JsonCodec, doc: bytes) -> None:
    with pytest.raises(DecodeError, match=r"^line 1 column \d+: malformed JSON: "):
        orders.decode(doc)


def test_encode_errors_name_the_path(orders: JsonCodec) -> None:
    bad = {
        **ORDERS[1],
        "lines": [{**ORDERS[0]["lines"][0]}, {**ORDERS[0]["lines"][1], "weight_kg": "heavy"}],
    }
    with pytest.raises(EncodeError, match=r"lines\[1\]\.weight_kg: expected float64, got str"):
        orders.encode(bad)
    missing = {k: v for k, v in ORDERS[1].items() if k != "status"}
    with pytest.raises(EncodeError, match="status: required field is missing"):
        orders.encode(missing)
    naive = {**ORDERS[1], "placed_at": datetime(2020, 1, 1)}
    with pytest.raises(EncodeError, match="placed_at: expected a timezone-aware datetime"):
        orders.encode(naive)


def test_lone_surrogate_is_named_not_mangled(orders: JsonCodec) -> None:
    bad = {**ORDERS[1], "customer": {**ORDERS[1]["customer"], "name": "a\ud800b"}}
    with pytest.raises(EncodeError, match=r"customer\.name: string holds a lone surrogate U\+D800"):
        orders.encode(bad)


def test_float32_is_rounded_and_overflow_is_an_error(sensors: JsonCodec) -> None:
    assert sensors.decode(b'{"raw": 0.1}')["raw"] == 0.10000000149011612
    with pytest.raises(DecodeError, match="raw: 1e\\+39 is too large for float32"):
        sensors.decode(b'{"raw": 1e39}')
    assert math.isinf(sensors.decode(b'{"raw": "-Infinity"}')["raw"])


def test_json_file_holds_one_record_or_an_array(orders: JsonCodec) -> None:
    one = orders.reader(io.BytesIO(orders.encode(ORDERS[0])))
    assert one.single
    assert_same(list(one), [ORDERS[0]])
    buf = io.BytesIO()
    w = orders.writer(buf)
    for r in ORDERS:
        w.write(r)
    w.close()
    many = orders.reader(io.BytesIO(buf.getvalue()))
    assert not many.single
    assert_same(list(many), ORDERS)
    with pytest.raises(DecodeError, match="holds a record"):
        orders.reader(io.BytesIO(b"42"))


def test_json_array_error_names_the_record(orders: JsonCodec) -> None:
    with pytest.raises(DecodeError) as info:
        list(orders.reader(io.BytesIO(b'[{"id": 1}, {"id": 2}, {"id": "three"}]')))
    assert str(info.value) == "record 3: id: expected uint64, got str"


def test_jsonl_reads_line_by_line_and_names_the_line() -> None:
    codec = JsonLinesCodec(order_schema())
    data = b'{"id": 1}\n\n{"id": 2}\n{"id": 3\n'
    reader = codec.reader(io.BytesIO(data))
    assert next(reader)["id"] == 1
    assert next(reader)["id"] == 2
    with pytest.raises(DecodeError) as info:
        next(reader)
    assert str(info.value).startswith("record 3: line 4 column")


@pytest.mark.parametrize(
    "text",
    [
        "\u0662024-01-31T13:00:00Z",
        "2024-01-31T13:00:00",
        "2024-02-30T00:00:00Z",
        "2024-01-31T24:00:00Z",
    ],
)
def test_timestamps_must_be_strict_rfc3339(orders: JsonCodec, text: str) -> None:
    with pytest.raises(DecodeError, match="placed_at"):
        orders.decode(orjson.dumps({"placed_at": text}))


def test_timestamp_offsets_become_utc(orders: JsonCodec) -> None:
    got = orders.decode(b'{"placed_at": "2024-01-31T13:00:00.5+02:30"}')["placed_at"]
    assert got == datetime(2024, 1, 31, 10, 30, 0, 500000, tzinfo=UTC)
