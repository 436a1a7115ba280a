"""``schema infer``: inferred schemas load, read their sample back losslessly, and refuse
to guess where no type would do (conflicts, bad names, integers beyond 64 bits)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.errors import DecodeError, SchemaError, UsageError
from fmtbench.infer import (
    MAP_MANY_KEYS,
    MAP_VARYING_MIN_KEYS,
    default_schema_name,
    infer_format_for_path,
    infer_schema,
    infer_schema_text,
)
from fmtbench.infer.render import _tags, singular
from fmtbench.schema import parse_schema
from tests.samples import assert_same


# -- helpers -------------------------------------------------------------------------------
def _lossless(sample: Any, back: Any, where: str = "$") -> None:
    """``back`` holds the values of ``sample``, allowing what the mapping defines: a null reads
    as absent, an integer in a float field comes back as a float, and a list or map that was
    missing comes back empty."""
    if isinstance(sample, dict):
        assert isinstance(back, dict), where
        for key, value in sample.items():
            if value is None:
                assert key not in back, f"{where}.{key}: null should read as absent"
            else:
                assert key in back, f"{where}.{key} went missing"
                _lossless(value, back[key], f"{where}.{key}")
        for key in back.keys() - sample.keys():
            assert back[key] in ([], {}), f"{where}.{key} appeared with {back[key]!r}"
    elif isinstance(sample, list):
        assert isinstance(back, list), where
        assert len(sample) == len(back), where
        for i, (a, b) in enumerate(zip(sample, back, strict=True)):
            _lossless(a, b, f"{where}[{i}]")
    elif type(sample) is float and math.isnan(sample):
        assert type(back) is float, where
        assert math.isnan(back), where
    elif type(sample) is int and type(back) is float:  # an int read into a float64 field
        assert float(sample) == back, where
    else:
        assert type(sample) is type(back), f"{where}: {sample!r} came back as {back!r}"
        assert sample == back, f"{where}: {sample!r} came back as {back!r}"


def _unpack_all(data: bytes) -> list[Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, timestamp=0)
    unpacker.feed(data)
    return list(unpacker)


def _trees(data: bytes, fmt: str) -> list[Any]:
    if fmt == "msgpack":
        return _unpack_all(data)
    if fmt == "jsonl":
        return [orjson.loads(line) for line in data.splitlines() if line.strip()]
    tree = orjson.loads(data)
    return [tree] if isinstance(tree, dict) else list(tree)


def round_trip(data: bytes, fmt: str, **options: Any) -> str:
    """Infer, then read the sample with the inferred schema and write it back: same values."""
    text = infer_schema_text(data, fmt, **options)
    schema = parse_schema(text)
    codec = codec_for(fmt, schema)
    records = codec.decode_many(data)
    _lossless(_trees(data, fmt), _trees(codec.encode_many(records), fmt))
    # The schema serves every format, not only the sample's: each reads its own writing.
    for other in ("json", "msgpack", "protobuf-delimited", "xml"):
        peer = codec_for(other, schema)
        assert_same(peer.decode_many(peer.encode_many(records)), records)
    return text


def infer_error(data: bytes, fmt: str = "json") -> str:
    with pytest.raises(SchemaError) as info:
        infer_schema_text(data, fmt)
    return str(info.value)


def one_field(values: list[Any], fmt: str = "json") -> str:
    """The inferred type line of field ``v`` across records ``{"v": value}``."""
    records = [{"v": v} for v in values]
    data = orjson.dumps(records) if fmt == "json" else b"".join(map(_pack, records))
    text = round_trip(data, fmt)
    return next(line.strip() for line in text.splitlines() if line.strip().startswith("v:"))


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True, datetime=True)  # type: ignore[no-any-return]


# -- the full picture ----------------------------------------------------------------------
USERS = [f"u{n}" for n in (8812, 17, 301, 99, 4096, 5, 77, 1234, 20)]

ORDERS: list[dict[str, Any]] = [
    {
        "id": 1,
        "placed_at": "2024-03-01T12:30:05.123456Z",
        "customer": {"name": "Zoë Ñandú 🦜", "vip": True},
        "lines": [
            {"sku": "A-1", "qty": 2, "price": 19.99, "tags": ["red", "ß"]},
            {"sku": "B-2", "qty": 1, "price": 5},  # an int in a float field
        ],
        "stock": {"1001": 3, "1002": 0},  # numeric keys: a map
        "votes": {u: {"up": True} for u in USERS[:3]},  # user ids as keys: a map
        "history": [],  # always empty
        "checksum": 18446744073709551615,  # beyond int64: uint64
        "delta": -3,
        "note": None,
        "offset": "2024-03-01T12:30:05+01:00",  # a timestamp, but not written back so: string
    },
    {
        "id": 9007199254740993,  # beyond 2^53: exact in int64, not in a double
        "placed_at": "2024-03-02T00:00:00Z",
        "customer": {"name": "李小龍", "vip": False, "email": "li@example.com"},
        "lines": [],
        "stock": {"77": 12},
        "votes": {u: {"up": False, "weight": 0.5} for u in USERS[3:6]},
        "history": [],
        "checksum": 0,
        "delta": -9223372036854775808,
        "note": "gift",
        "offset": "2024-03-02T00:00:00Z",
    },
    {
        "id": 3,
        "placed_at": "0001-01-01T00:00:00Z",
        "customer": {"name": "", "vip": False},
        "lines": [{"sku": "C", "qty": 4, "price": -0.0, "tags": [], "discount": 0.1}],
        "stock": {},
        "votes": {u: {"up": True} for u in USERS[6:]},
        "history": [],
        "checksum": 9223372036854775808,
        "delta": 2147483648,
        "offset": "",
    },
]

ORDERS_SCHEMA = """\
schema: inferred.orders
root: Order
doc: "Inferred from 3 records of orders.json; review it before use: types, optional fields and maps are guesses from the sample."
messages:
  Order:
    fields:
      id: int64 = 1
      placed_at: timestamp = 2
      customer: Customer = 3
      lines: list<Line> = 4
      stock: map<string, int32> = 5  # a map: numeric keys
      votes: map<string, Vote> = 6  # a map: keys vary from record to record
      history: list<string> = 7  # always empty in the sample: the item type is a guess
      checksum: uint64 = 8
      delta: int64 = 9
      note: optional string = 10
      offset: string = 11
  Customer:
    fields:
      name: string = 1
      vip: bool = 2
      email: optional string = 3
  Line:
    fields:
      sku: string = 1
      qty: int32 = 2
      price: float64 = 3
      tags: list<string> = 4  # sometimes missing: read as empty
      discount: optional float64 = 5
  Vote:
    fields:
      up: bool = 1
      weight: optional float64 = 2
"""


def test_json_sample_infers_a_readable_schema_that_round_trips() -> None:
    data = orjson.dumps(ORDERS)
    text = round_trip(data, "json", name="Order", source="samples/orders.json")
    assert text == ORDERS_SCHEMA


def test_same_input_same_text_and_first_seen_key_order() -> None:
    data = orjson.dumps(ORDERS)
    assert infer_schema_text(data, "json") == infer_schema_text(data, "json")
    text = infer_schema_text(b'[{"b": 1}, {"a": 2, "b": 3}, {"c": 4, "a": 5}]', "json")
    assert (
        "b: optional int32 = 1\n      a: optional int32 = 2\n      c: optional int32 = 3\n" in text
    )


def test_one_json_object_is_one_record() -> None:
    text = round_trip(b'{"a": 1, "b": [{"c": "x"}]}', "json")
    assert "Inferred from 1 record of JSON input;" in text
    assert "schema: inferred.record" in text


def test_jsonl_with_blank_lines_missing_keys_and_nulls() -> None:
    data = (
        b'{"id": 1, "name": "a", "tags": ["x"], "score": 1.5}\n'
        b"\n"
        b'{"id": 2, "tags": [], "score": null, "extra": {"k": true}}\n'
        b'{"id": -1, "name": "\xc3\xa9\\u00e9\\ud83e\\udd9c", "score": 2}\n'
    )
    text = round_trip(data, "jsonl", source="events.jsonl")
    assert "schema: inferred.events" in text
    assert "id: int32 = 1" in text
    assert "name: optional string = 2" in text
    assert "tags: list<string> = 3  # sometimes missing: read as empty" in text
    assert "score: optional float64 = 4" in text
    assert "extra: optional Extra = 5" in text


def test_msgpack_native_types_round_trip() -> None:
    at = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    records = [
        {
            "blob": b"\x00\xff",
            "at": at,
            "when": "2024-01-01T00:00:00Z",  # a str in MessagePack: no timestamp read from it
            "hist": {-5: 1, 2147483648: 2},
            "flags": {True: "yes", False: "no"},
            "value": math.nan,
            "items": [{"n": 1}, {"n": 2**63}],
            "names": {"ü": "𝄞"},
        },
        {
            "blob": b"",
            "at": datetime(1, 1, 1, tzinfo=UTC),
            "when": "x",
            "hist": {},
            "flags": {},
            "value": -math.inf,
            "items": [],
            "names": {},
        },
    ]
    data = b"".join(map(_pack, records))
    text = round_trip(data, "msgpack", name="Row")
    for line in (
        "blob: bytes = 1",
        "at: timestamp = 2",
        "when: string = 3",
        "hist: map<int64, int32> = 4",
        "flags: map<bool, string> = 5",
        "value: float64 = 6",
        "items: list<Item> = 7",
        "names: map<string, string> = 8  # a map: keys look like data, not names",
        "n: uint64 = 1",
    ):
        assert line in text


# -- scalars -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, -(2**31), 2**31 - 1], "v: int32 = 1"),
        ([2**31], "v: int64 = 1"),
        ([-(2**31) - 1], "v: int64 = 1"),
        ([2**63 - 1, -(2**63)], "v: int64 = 1"),
        ([2**63, 0], "v: uint64 = 1"),
        ([2**64 - 1], "v: uint64 = 1"),
        ([1, 2.5], "v: float64 = 1"),
        ([2**53, -0.5], "v: float64 = 1"),
        ([True, False], "v: bool = 1"),
        ([1.5, "NaN", "Infinity", "-Infinity"], "v: float64 = 1"),  # the JSON spelling
        (["NaN"], "v: string = 1"),
        (["aGVsbG8="], "v: string = 1"),  # base64 or text? keep the text
        ([None, None], "v: optional string = 1  # always null in the sample: the type is a guess"),
        ([1, None], "v: optional int32 = 1"),
    ],
)
def test_json_scalars(values: list[Any], expected: str) -> None:
    assert one_field(values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-01-31T12:00:00Z", "1969-07-20T20:17:40.500000Z"], "timestamp"),
        (["9999-12-31T23:59:59.999999Z", None], "optional timestamp"),
        (["2024-01-31T12:00:00+02:00"], "string"),  # read as 10:00Z: written differently
        (["2024-01-31T12:00:00.5Z"], "string"),  # written back with six digits
        (["2024-01-31t12:00:00z"], "string"),
        (["2024-01-31 12:00:00Z"], "string"),
        (["2024-01-31T12:00:00.0000001Z"], "string"),  # written back with nine digits
        (["2024-01-31T12:00:00Z", "soon"], "string"),
        (["2024-01-31T12:00:00Z", ""], "string"),
    ],
)
def test_timestamps_only_when_every_string_is_written_back_identically(
    values: list[Any], expected: str
) -> None:
    # A time spelled otherwise stays a string, with a comment saying so (tested below).
    assert one_field(values).split("  # ")[0] == f"v: {expected} = 1"


def test_msgpack_floats_and_ints_mixed() -> None:
    assert one_field([1, 0.25], "msgpack") == "v: float64 = 1"


def test_integers_that_no_type_holds_are_refused() -> None:
    assert "needs more than 64 bits" in infer_error(b'[{"v": 18446744073709551616}]')
    assert "needs more than 64 bits" in infer_error(b'[{"v": -9223372036854775809}]')
    msg = infer_error(b'[{"v": -1}, {"v": 9223372036854775808}]')
    assert "v: integers range from -1 to 9223372036854775808" in msg
    # a float literal that large is a float, not an integer
    assert one_field([1.8446744073709552e19]) == "v: float64 = 1"


def test_int_that_float64_would_round_is_not_mixed_with_floats() -> None:
    msg = infer_error(b'[{"v": 9007199254740993}, {"v": 0.5}]')
    assert "v: integers and floats are mixed" in msg
    assert "9007199254740993" in msg


# -- structure -----------------------------------------------------------------------------
def test_recursive_key_paths_share_one_message() -> None:
    tree = {
        "name": "root",
        "children": [
            {"name": "a", "children": [{"name": "a1", "children": [], "size": 3}]},
            {"name": "b", "children": []},
        ],
        "parent": {"name": "p", "parent": {"name": "pp", "parent": None}},
    }
    text = round_trip(orjson.dumps(tree), "json", name="Node")
    assert (
        "  Children:\n    fields:\n      name: string = 1\n      children: list<Children> = 2\n"
        in (text)
    )
    assert "children: list<Children> = 2\n      size: optional int32 = 3" in text
    assert (
        "  Parent:\n    fields:\n      name: string = 1\n      parent: optional Parent = 2\n"
        in (text)
    )
    assert text.count("  Children:") == 1


def test_same_name_on_different_paths_is_prefixed_with_the_parent() -> None:
    data = b'{"a": {"item": {"x": 1}}, "b": {"item": {"y": "z"}}, "items": [{"q": 1}]}'
    text = round_trip(data, "json")
    assert "  A:\n    fields:\n      item: Item = 1\n" in text
    assert "  B:\n    fields:\n      item: BItem = 1\n" in text
    assert "items: list<RecordItem> = 3" in text


@pytest.mark.parametrize(
    ("plural", "one"),
    [("Lines", "Line"), ("Entries", "Entry"), ("Addresses", "Address"), ("Class", "Class")],
)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_empty_objects_and_lists() -> None:
    data = b'[{"meta": {}, "rows": [{}], "list": []}, {"meta": {}, "rows": [], "list": []}]'
    text = round_trip(data, "json")
    assert "meta: map<string, string> = 1  # always empty in the sample" in text
    assert "rows: list<Row> = 2" in text
    assert "  Row:\n    fields: {}  # always empty in the sample\n" in text


# -- maps ----------------------------------------------------------------------------------
def test_data_like_keys_make_maps() -> None:
    data = orjson.dumps(
        {
            "by_email": {"a@example.com": 1, "b@example.com": 2},
            "by_uuid": {"0b6c8f4e-6a8e-4b6e-9d8c-2f1d7c5e4a3b": "x"},
            "by_date": {"2024-01-31": 1.5},
            "by_hash": {"9f86d081884c7d65": True},
            "by_city": {"Zürich": "8001", "Genève": "1201"},
            "by_year": {"2024": {"n": 1}, "-1": {"n": 2}},
        }
    )
    text = round_trip(data, "json")
    for line in (
        "by_email: map<string, int32> = 1  # a map: keys look like data, not names",
        "by_uuid: map<string, string> = 2",
        "by_date: map<string, float64> = 3",
        "by_hash: map<string, bool> = 4",
        "by_city: map<string, string> = 5",
        "by_year: map<string, ByYear> = 6  # a map: numeric keys",
    ):
        assert line in text


def test_many_keys_make_a_map_and_values_must_agree() -> None:
    wide = {f"ch{n}": float(n) for n in range(MAP_MANY_KEYS)}
    text = round_trip(orjson.dumps({"wide": wide}), "json")
    assert f"wide: map<string, float64> = 1  # a map: {MAP_MANY_KEYS} distinct keys" in text
    # The same keys with values of different types: a message with one field each.
    wide["ch0"] = "zero"
    text = round_trip(orjson.dumps({"wide": wide}), "json")
    assert "wide: Wide = 1" in text
    assert "ch0: string = 1\n      ch1: float64 = 2" in text


def test_varying_identifier_keys_make_a_map_only_above_the_threshold() -> None:
    few = [{"u": {f"k{i}": i}} for i in range(MAP_VARYING_MIN_KEYS - 1)]
    assert "u: U = 1" in round_trip(orjson.dumps(few), "json")
    many = [{"u": {f"k{i}": i}} for i in range(MAP_VARYING_MIN_KEYS)]
    text = round_trip(orjson.dumps(many), "json")
    assert "u: map<string, int32> = 1  # a map: keys vary from record to record" in text


def test_map_of_lists_falls_back_to_a_message() -> None:
    data = orjson.dumps([{"by": {f"k{i}": [i]}} for i in range(MAP_VARYING_MIN_KEYS)])
    text = round_trip(data, "json")
    assert "by: By = 1" in text
    assert "k0: list<int32> = 1" in text


def test_data_keys_whose_values_disagree_are_an_error() -> None:
    msg = infer_error(b'{"m": {"a@b": 1, "c@d": "x"}}')
    assert "m: key 'a@b' (first in record 1) is not a valid field name" in msg
    assert "as a map (keys look like data, not names) its values have no one type" in msg
    assert "(m[*]: conflicting types: integer in record 1, string in record 1)" in msg


# -- errors --------------------------------------------------------------------------------
def test_conflicting_types_name_the_path_and_the_records() -> None:
    msg = infer_error(b'[{"a": {"b": 1}}, {"a": {"b": 2}}, {"a": {"b": "x"}}]')
    assert msg.startswith("JSON input: a.b: conflicting types: integer in record 1, string in")
    assert "record 3" in msg
    msg = infer_error(b'[{"lines": [{"p": 1}]}, {"lines": [{"p": true}]}]')
    assert "lines[].p: conflicting types: integer in record 1, bool in record 2" in msg
    assert "a.b: conflicting types: object in record 1, list in record 2" in infer_error(
        b'[{"a": {"b": {}}}, {"a": {"b": []}}]'
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"user-name": "x"}', "key 'user-name' at the top level (first in record 1) is not a"),
        (
            b'[{"p": {"name": "x"}}, {"p": {"2fa": true, "name": "y"}}]',
            "p: key '2fa' (first in record 2) is not a valid field name, and as a map",
        ),
        (b'{"foo_bar": 1, "fooBar": 2}', "keys 'foo_bar' and 'fooBar' have the same camelCase"),
        (b'{"l": [1, null]}', "l[]: null list item in record 1"),
        (b'[{"l": [1]}, {"l": null}]', "l: null in record 2, but a list cannot be optional"),
        (b'{"m": {"1": null}}', "m[*]: null map value in record 1"),
        (b'{"l": [[1]]}', "l[]: a list inside a list cannot be expressed"),
        (b'{"m": {"1": [1], "2": [2]}}', "m: key '1' (first in record 1) is not a valid field"),
        (b"[]", "the sample holds no records"),
        (b"[1]", "record 1 is a number, not an object"),
    ],
)
def test_what_cannot_be_inferred_is_an_error(data: bytes, message: str) -> None:
    assert message in infer_error(data)


def test_errors_name_the_file() -> None:
    with pytest.raises(SchemaError, match=r"^/tmp/orders\.jsonl: a: conflicting types"):
        infer_schema_text(b'{"a": 1}\n{"a": "x"}\n', "jsonl", source="/tmp/orders.jsonl")


def test_malformed_input_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match=r"bad\.jsonl: line 2 column"):
        infer_schema_text(b'{"a": 1}\n{"a": \n', "jsonl", source="bad.jsonl")
    with pytest.raises(DecodeError, match="truncated"):
        infer_schema_text(_pack({"a": "text"})[:-2], "msgpack")


def test_msgpack_values_without_a_schema_type() -> None:
    ext = _pack({"a": msgpack.ExtType(5, b"x")})
    assert "extension type 5 has no schema type" in infer_error(ext, "msgpack")
    assert "key 7 at the top level" in infer_error(_pack({7: 1}), "msgpack")
    assert "map keys of types int, str" in infer_error(_pack({"m": {1: 1, "a": 2}}), "msgpack")


# -- options and names ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a.json", "json"),
        ("a.JSONL", "jsonl"),
        ("dir.x/a.ndjson", "jsonl"),
        ("a.msgpack", "msgpack"),
        ("a.mpk", "msgpack"),
    ],
)
def test_format_for_path(path: str, fmt: str) -> None:
    assert infer_format_for_path(path) == fmt


def test_unknown_endings_and_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="pass --format"):
        infer_format_for_path("a.xml")
    with pytest.raises(UsageError, match="choose one of: json, jsonl, msgpack"):
        infer_schema_text(b"{}", "xml")
    with pytest.raises(UsageError, match="--name 'string'"):
        infer_schema_text(b"{}", "json", name="string")
    with pytest.raises(UsageError, match="dotted name"):
        infer_schema_text(b"{}", "json", schema_name="my-schema")


def test_schema_names() -> None:
    assert default_schema_name("Record", "data/My Orders-2024.jsonl") == "inferred.my_orders_2024"
    assert default_schema_name("Record", "2024.json") == "inferred._2024"
    assert default_schema_name("LineItem", None) == "inferred.lineitem"
    assert default_schema_name("Row", "-") == "inferred.row"
    text = infer_schema_text(b'{"a": 1}', "json", name="Row", schema_name="my.rows")
    assert text.startswith("schema: my.rows\nroot: Row\n")
    assert infer_schema(b'{"a": 1}', "json", name="Row").message().name == "Row"


def test_yaml_words_are_quoted_and_tags_skip_the_reserved_range() -> None:
    text = round_trip(b'{"yes": 1, "null": "n", "on": true, "y": 2}', "json")
    assert (
        '"yes": int32 = 1\n      "null": string = 2\n      "on": bool = 3\n      y: int32' in text
    )
    assert list(islice(_tags(), 18997, 19001)) == [18998, 18999, 20000, 20001]


# -- any sample: a schema that reads it back, or a clear refusal -----------------------------
# Mostly field names, now and then a key that is data (or no name at all).
_KEYS = st.sampled_from(["a", "b", "id", "items", "children"] * 4 + ["1", "x@y", "user-name", ""])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "text", "2024-01-31T12:00:00Z", "NaN", "ünï"])
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=5), min_size=1, max_size=4))
def test_any_json_sample_round_trips_or_is_refused_clearly(records: list[dict[str, Any]]) -> None:
    data = json.dumps(records, ensure_ascii=False).encode()  # orjson stops at 64 bits
    try:
        infer_schema_text(data, "json")
    except SchemaError as exc:
        refusal: str | None = str(exc)
    else:
        refusal = None
    if refusal is None:
        round_trip(data, "json")
    else:
        assert refusal.startswith("JSON input: ")


_MSGPACK_VALUES = st.recursive(
    _LEAVES | st.binary(max_size=4) | st.datetimes(timezones=st.just(UTC)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_KEYS, inner, max_size=4)
        | st.dictionaries(st.integers(-3, 3), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(_KEYS, _MSGPACK_VALUES, max_size=5), min_size=1, max_size=4))
def test_any_msgpack_sample_round_trips_or_is_refused_clearly(
    records: list[dict[str, Any]],
) -> None:
    records = [_no_big_ints(r) for r in records]
    data = b"".join(map(_pack, records))
    try:
        infer_schema_text(data, "msgpack")
    except SchemaError as exc:
        refusal: str | None = str(exc)
    else:
        refusal = None
    if refusal is None:
        round_trip(data, "msgpack")
    else:
        assert refusal.startswith("MessagePack input: ")


def _no_big_ints(v: Any) -> Any:
    """MessagePack holds 64-bit integers only: clamp what the shared leaves go beyond."""
    if type(v) is int:
        return max(-(2**63), min(v, 2**64 - 1))
    if isinstance(v, list):
        return [_no_big_ints(x) for x in v]
    if isinstance(v, dict):
        return {k: _no_big_ints(x) for k, x in v.items()}
    return v


@pytest.mark.parametrize("length", [1000, 1024, 1025, 5000])
def test_a_field_name_of_any_length_gives_valid_yaml(length: int) -> None:
    # YAML reads plain keys only up to 1024 characters; a longer name once gave
    # "<inferred schema>:7:5007: not valid YAML" (issue 12, item 25).
    name = "k" * length
    sample = json.dumps({name: 1, "short": {name: "x"}}).encode()
    schema = infer_schema(sample, "json")
    assert name in [f.name for f in schema.messages[schema.root].fields]
    codec = codec_for("json", schema)
    assert codec.decode(sample) == {name: 1, "short": {name: "x"}}


@pytest.mark.parametrize(
    "spelling",
    [
        "2024-01-31T12:00:00+02:00",
        "2024-01-31T12:00:00.123Z",
        "2024-01-31 12:00:00",
        "2024-01-31T12:00:00.1234567891Z",
        "2024-01-31t12:00:00z",
        "2024-01-31T12:00:00,5+0200",
    ],
)
def test_time_spellings_stay_strings_and_the_draft_says_so(spelling: str, tmp_path: Path) -> None:
    from fmtbench.cli import main

    sample = tmp_path / "s.jsonl"
    sample.write_text(f'{{"at": "{spelling}", "text": "hello"}}\n')
    out = tmp_path / "s.yaml"
    assert main(["schema", "infer", str(sample), "-o", str(out)]) == 0
    draft = out.read_text()
    at = next(line for line in draft.splitlines() if line.strip().startswith("at:"))
    assert "at: string = 1  # looked like a time" in at
    text = next(line for line in draft.splitlines() if line.strip().startswith("text:"))
    assert "#" not in text


def test_canonical_times_still_become_timestamps(tmp_path: Path) -> None:
    from fmtbench.cli import main

    sample = tmp_path / "s.jsonl"
    sample.write_text('{"at": "2024-01-31T12:00:00Z"}\n{"at": "2024-01-31T12:00:00.000001Z"}\n')
    out = tmp_path / "s.yaml"
    assert main(["schema", "infer", str(sample), "-o", str(out)]) == 0
    assert "at: timestamp = 1\n" in out.read_text()
