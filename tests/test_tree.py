"""The generated fast path of ``TreeConverter`` against its reference path.

The fast converter of a message is generated source; on any exception it hands the value to
the reference converter. So the two must agree on every value, in key order too (orjson and
msgpack write dicts in insertion order), and every error must be the reference's own.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs.json import codec as json_codec
from fmtbench.codecs.msgpack import codec as msgpack_codec
from fmtbench.codecs.protobuf.codec import PROTO_RULES
from fmtbench.codecs.values.canonical import CANONICAL
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import ValueMismatch
from fmtbench.schema import parse_schema
from tests.samples import ORDERS, assert_same, order_schema
from tests.strategies import SCHEMAS, records, schema_named

ENCODERS: dict[str, TreeRules] = {
    "canonical": CANONICAL,
    "json": json_codec.ENCODE_RULES,
    "msgpack": msgpack_codec.ENCODE_RULES,
    "protobuf": PROTO_RULES,
}
DECODERS: dict[str, TreeRules] = {
    "json": json_codec.DECODE_RULES,
    "msgpack": msgpack_codec.DECODE_RULES,
}
ALL_RULES = {**{f"{k} encode": v for k, v in ENCODERS.items()}}
ALL_RULES.update({f"{k} decode": v for k, v in DECODERS.items()})

_converters: dict[tuple[str, str, bool], TreeConverter] = {}


def converter(schema: str, rules: str, drop_unknown: bool = False) -> TreeConverter:
    key = (schema, rules, drop_unknown)
    if key not in _converters:
        _converters[key] = TreeConverter(
            schema_named(schema), ALL_RULES[rules], drop_unknown=drop_unknown
        )
    return _converters[key]


def outcome(conv: Any, value: Any) -> tuple[str, Any]:
    """What a converter does with a (deep-copied) value: its result, or its error."""
    try:
        return "ok", conv(copy.deepcopy(value))
    except ValueMismatch as exc:
        return "error", (exc.problem, exc.path)


def assert_paths_agree(tree: TreeConverter, name: str, value: Any) -> tuple[str, Any]:
    fast, slow = tree.message(name), tree.reference(name)
    assert fast is not slow
    got, want = outcome(fast, value), outcome(slow, value)
    assert got[0] == want[0], (got, want)
    if got[0] == "ok":
        assert_same(got[1], want[1])
        assert repr(got[1]) == repr(want[1])  # key order, int vs float vs bool, -0.0
    else:
        assert got == want
    return got


def root(schema: str) -> str:
    return schema_named(schema).message(None).name


# -- values: every rule set, every property schema ------------------------------------------
@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("rules", list(ENCODERS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_encode_paths_agree(schema: str, rules: str, data: st.DataObject) -> None:
    record = data.draw(records(schema_named(schema)), label="record")
    assert_paths_agree(converter(schema, f"{rules} encode"), root(schema), record)


def _json_tree(schema: str, record: dict[str, Any]) -> Any:
    tree = converter(schema, "json encode").message(root(schema))(record)
    return orjson.loads(orjson.dumps(tree, option=orjson.OPT_UTC_Z))


def _msgpack_tree(schema: str, record: dict[str, Any]) -> Any:
    tree = converter(schema, "msgpack encode").message(root(schema))(record)
    data = msgpack.packb(tree, use_bin_type=True, datetime=True)
    return msgpack.unpackb(data, raw=False, strict_map_key=False, timestamp=0)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("fmt", list(DECODERS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_decode_paths_agree(schema: str, fmt: str, data: st.DataObject) -> None:
    record = data.draw(records(schema_named(schema)), label="record")
    tree = _json_tree(schema, record) if fmt == "json" else _msgpack_tree(schema, record)
    kind, back = assert_paths_agree(converter(schema, f"{fmt} decode"), root(schema), tree)
    assert kind == "ok"
    assert_same(back, record)


# -- errors: the reference's, with its path ---------------------------------------------------
def order() -> dict[str, Any]:
    record = copy.deepcopy(ORDERS[0])
    record["lines"] = record["lines"] * 3 if record["lines"] else []
    assert len(record["lines"]) >= 2
    return record


def _set(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target: Any = record
    for seg in path[:-1]:
        target = target[seg]
    target[path[-1]] = value
    return record


def _drop(record: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    target: Any = record
    for seg in path[:-1]:
        target = target[seg]
    del target[path[-1]]
    return record


_SENTINEL = object()
BAD_ORDERS: dict[str, Any] = {
    "missing required": lambda: _drop(order(), ("channel",)),
    "missing nested required": lambda: _drop(order(), ("customer", "name")),
    "missing in a list item": lambda: _drop(order(), ("lines", 1, "sku")),
    "unknown key": lambda: _set(order(), ("bogus",), 1),
    "unknown key, optional missing": lambda: _set(
        _drop(order(), ("note",)) if "note" in order() else order(), ("bogus",), 1
    ),
    "unknown key in a list item": lambda: _set(order(), ("lines", 1, "extra"), "x"),
    "non-string key": lambda: _set(order(), (7,), "x"),
    "wrong type nested": lambda: _set(order(), ("lines", 1, "quantity"), "3"),
    "bool for int": lambda: _set(order(), ("lines", 0, "quantity"), True),
    "out of range": lambda: _set(order(), ("lines", 1, "quantity"), 2**32),
    "negative uint": lambda: _set(order(), ("id",), -1),
    "float for int": lambda: _set(order(), ("total_cents",), 1.0),
    "int for float": lambda: _set(order(), ("lines", 0, "weight_kg"), 3),
    "inexact int for float": lambda: _set(order(), ("lines", 0, "weight_kg"), 2**53 + 1),
    "bad enum": lambda: _set(order(), ("status",), "LOST"),
    "enum by number": lambda: _set(order(), ("status",), 1),
    "unhashable enum": lambda: _set(order(), ("status",), []),
    "bad map value": lambda: _set(order(), ("labels", "zz"), 5),
    "bad map key": lambda: _set(order(), ("labels", 5), "v"),
    "mixed map keys": lambda: _set(_set(order(), ("labels", 5), "v"), ("labels", "a"), "v"),
    "map as list": lambda: _set(order(), ("labels",), []),
    "list as tuple": lambda: _set(order(), ("lines",), tuple(order()["lines"])),
    "list as dict": lambda: _set(order(), ("lines",), {}),
    "message as list": lambda: _set(order(), ("customer",), []),
    "dict subclass": lambda: _set(order(), ("customer",), _Dict(order()["customer"])),
    "optional null": lambda: _set(order(), ("note",), None),
    "nested optional null": lambda: _set(order(), ("customer", "address"), None),
    "naive timestamp": lambda: _set(order(), ("placed_at",), datetime(2024, 1, 1)),
    "other zone": lambda: _set(
        order(), ("placed_at",), datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    ),
    "timestamp as text": lambda: _set(order(), ("placed_at",), "2024-01-01T00:00:00Z"),
    "bytearray-ish string": lambda: _set(order(), ("channel",), b"web"),
    "not a record": lambda: [order()],
    "none record": lambda: None,
}


class _Dict(dict[str, Any]):
    """A dict subclass: the reference refuses it; the fast path must not accept it."""


@pytest.mark.parametrize("rules", list(ALL_RULES))
@pytest.mark.parametrize("case", list(BAD_ORDERS))
def test_order_variants_agree(rules: str, case: str) -> None:
    tree = TreeConverter(order_schema(), ALL_RULES[rules])
    for drop in (False, True):
        tree = TreeConverter(order_schema(), ALL_RULES[rules], drop_unknown=drop)
        assert_paths_agree(tree, "Order", BAD_ORDERS[case]())


def test_errors_keep_their_paths() -> None:
    tree = TreeConverter(order_schema(), json_codec.ENCODE_RULES)
    conv = tree.message("Order")
    cases = {
        "missing in a list item": "lines[1].sku: required field is missing",
        "wrong type nested": "lines[1].quantity: expected uint32, got str",
        "bad map value": 'labels["zz"]: expected string, got int',
        "unknown key, optional missing": "unknown field 'bogus' in Order",
        "non-string key": "unknown field 7 in Order",
    }
    for case, text in cases.items():
        with pytest.raises(ValueMismatch) as info:
            conv(BAD_ORDERS[case]())
        assert str(info.value).startswith(text), (case, str(info.value))


def test_unknown_key_with_missing_optional_is_caught() -> None:
    # The fast path counts keys: one missing optional must not let one unknown key through.
    record = order()
    record.pop("note", None)
    record.pop("shipped_at", None)
    record["bogus"] = 1
    conv = TreeConverter(order_schema(), msgpack_codec.ENCODE_RULES).message("Order")
    with pytest.raises(ValueMismatch, match="unknown field 'bogus'"):
        conv(record)


def test_decoders_fill_missing_and_drop_null_optionals() -> None:
    tree = TreeConverter(order_schema(), msgpack_codec.DECODE_RULES)
    value = _drop(_msgpack_tree("order", order()), ("lines", 0, "sku"))
    value["note"] = None
    kind, out = assert_paths_agree(tree, "Order", value)
    assert kind == "ok"
    assert out["lines"][0]["sku"] == ""
    assert "note" not in out


def test_drop_unknown_drops() -> None:
    tree = TreeConverter(order_schema(), json_codec.DECODE_RULES, drop_unknown=True)
    value = _json_tree("order", ORDERS[0])
    value["bogus"] = 1
    value["customer"]["bogus"] = 2
    kind, out = assert_paths_agree(tree, "Order", value)
    assert kind == "ok"
    assert "bogus" not in out
    assert "bogus" not in out["customer"]


def test_maps_are_sorted_on_encode() -> None:
    record = order()
    record["labels"] = {"b": "1", "a": "2", "c": "3"}
    _, out = assert_paths_agree(
        TreeConverter(order_schema(), json_codec.ENCODE_RULES), "Order", record
    )
    assert list(out["labels"]) == ["a", "b", "c"]


def _node(label: str, children: list[Any]) -> dict[str, Any]:
    return {
        "label": label,
        "weight": 0.5,
        "children": children,
        "named": {},
        "stamps": {},
        "offsets": {},
        "sizes": {},
        "flags": [],
        "colours": [],
        "empties": [],
        "blobs": [],
        "words": [],
        "when": [],
        "small": [],
        "big": [],
    }


def _forest(depth: int) -> dict[str, Any]:
    trunk = _node("leaf", [])
    for i in range(depth):
        trunk = _node(f"n{i}", [_node("sib", []), trunk])
    return {"trunk": trunk, "by_id": {}, "colours": {}, "marker": {}}


# Kept small: the reference path finds a failing list element by converting the elements
# again, once per enclosing list, so an error's cost doubles with each level of lists.
DEPTH = 8


@pytest.mark.parametrize("rules", list(ENCODERS))
def test_recursion_and_deep_errors(rules: str) -> None:
    tree = converter("tree", f"{rules} encode")
    value = _forest(DEPTH)
    kind, _ = assert_paths_agree(tree, "Forest", value)
    assert kind == "ok"
    deep: Any = value["trunk"]
    for _ in range(DEPTH):
        deep = deep["children"][1]
    deep["weight"] = "heavy"
    kind, (_, path) = assert_paths_agree(tree, "Forest", value)
    assert kind == "error"
    assert path == ("trunk", *(("children", 1) * DEPTH), "weight")


def test_timestamp_in_utc_is_passed_through() -> None:
    conv = TreeConverter(order_schema(), msgpack_codec.ENCODE_RULES).message("Order")
    record = order()
    record["placed_at"] = datetime(2024, 1, 1, tzinfo=UTC)
    assert conv(record)["placed_at"] is record["placed_at"]


# -- float32 leaves: float32_round's steps inlined in the fast path --------------------------
F32_SCHEMA = parse_schema(
    """
schema: t.f32
root: F
messages:
  F:
    fields:
      x: float32 = 1
      o: {type: optional float32, tag: 2}
      xs: list<float32> = 3
      m: map<string, float32> = 4
"""
)
F32_VALUES = st.one_of(
    st.floats(width=32),
    st.floats(),  # rounded, or too large for float32: the reference's error
    st.sampled_from([3.4028235677973366e38, 3.4028236e38, 1e-46, -0.0, 2.0**-149]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=2),
)


@pytest.mark.parametrize("rules", ["canonical encode", "json decode", "msgpack decode"])
@settings(max_examples=150, deadline=None)
@given(value=F32_VALUES)
def test_float32_leaves_agree(rules: str, value: Any) -> None:
    tree = TreeConverter(F32_SCHEMA, ALL_RULES[rules])
    for record in (
        {"x": value, "xs": [], "m": {}},
        {"x": 1.5, "o": value, "xs": [0.5, value], "m": {"k": value}},
    ):
        assert_paths_agree(tree, "F", record)
