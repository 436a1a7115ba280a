"""The fast Protobuf encode (``protobuf/fast_write.py``) against the reference encode.

``ProtobufCodec.encode`` first builds the message with generated code that checks the
record as it goes; on anything that code declines, the reference (``TreeConverter`` +
``PROTO_RULES``) encodes the record. So for every record, canonical or not, the codec's outcome must be
the reference's: the same bytes, or the same error with the same path.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protobuf.labels import label_classes
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import INT_RANGES, Scalar
from fmtbench.schema.proto import compile_classes
from tests.strategies import SCHEMAS, records, schema_named
from tests.test_protobuf_kwargs import JUNK

MORE_JUNK: list[Any] = [
    *JUNK,
    3.5e38,  # past float32
    float("inf"),
    2**63,
    -(2**63) - 1,
    -1.0,
    bytearray(b"x"),
    ("a",),
    {"x": None},
    datetime(2024, 1, 1, tzinfo=UTC) + timedelta(microseconds=1),
    datetime(2024, 1, 1, tzinfo=UTC).astimezone(),  # aware, not UTC
    "UNKNOWN",
]


@cache
def codec(name: str) -> ProtobufCodec:
    return ProtobufCodec(schema_named(name))


@cache
def reference(name: str) -> ProtobufCodec:
    """A codec whose fast builder always declines: the reference behaviour."""
    ref = ProtobufCodec(schema_named(name))
    ref.encode = ref._declined  # what encode does with a record the fast path declines
    return ref


def outcome(c: ProtobufCodec, record: Any) -> tuple[str, Any]:
    try:
        return "ok", c.encode(record)
    except FmtbenchError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def spoil(value: Any, rnd: random.Random, junk: Any) -> Any:
    """A copy of ``value`` with one dict value, list item or dict key somewhere replaced."""
    places: list[tuple[Any, Any]] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k in v:
                places.append((v, k))
                walk(v[k])
        elif isinstance(v, list):
            for i, item in enumerate(v):
                places.append((v, i))
                walk(item)

    copy = _copy(value)
    walk(copy)
    if not places:
        return junk
    container, key = rnd.choice(places)
    if isinstance(container, dict) and rnd.random() < 0.2:
        try:
            container[junk] = container.pop(key)  # a key of the wrong kind
        except TypeError:
            container[key] = junk
    elif isinstance(container, dict) and rnd.random() < 0.1:
        del container[key]
    else:
        container[key] = junk
    return copy


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


@pytest.mark.parametrize("name", SCHEMAS)
def test_canonical_records_give_the_reference_bytes(name: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(rec=records(schema_named(name)))
    def prop(rec: dict[str, Any]) -> None:
        ours = outcome(codec(name), rec)
        assert ours == outcome(reference(name), rec)

    prop()


@pytest.mark.parametrize("name", SCHEMAS)
def test_spoilt_records_give_the_reference_bytes_or_error(name: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=200)
    @given(
        rec=records(schema_named(name)),
        seed=st.integers(0, 2**32 - 1),
        junk=st.sampled_from(MORE_JUNK),
    )
    def prop(rec: dict[str, Any], seed: int, junk: Any) -> None:
        bad = spoil(rec, random.Random(seed), junk)
        assert outcome(codec(name), bad) == outcome(reference(name), bad)

    prop()


@pytest.mark.parametrize("dataset", ["blob", "log", "media", "mesh", "order", "telemetry", "tree"])
def test_builtin_datasets_take_the_fast_path(dataset: str) -> None:
    ds = load_dataset(dataset)
    c = ProtobufCodec(ds.schema, ds.type_name)
    ref = ProtobufCodec(ds.schema, ds.type_name)
    ref.encode = ref._declined  # what encode does with a record the fast path declines
    for rec in ds.generator().records(20):
        assert c._fast_encode(rec) == ref.encode(rec)  # never declines


def _chain(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": 0,
        "name": "",
        "kind": "UNKNOWN",
        "attributes": {},
        "children": [],
    }
    for _ in range(depth):
        node = {**node, "children": [node], "attributes": {"a": "b"}}
    return node


@pytest.mark.parametrize("depth", [0, 1, 95, 96, 97, 98, 99, 100, 101, 150])
def test_deep_records_meet_the_reference_depth_checks(depth: int) -> None:
    ds = load_dataset("tree")
    c = ProtobufCodec(ds.schema, ds.type_name)
    ref = ProtobufCodec(ds.schema, ds.type_name)
    ref.encode = ref._declined  # what encode does with a record the fast path declines
    record = _chain(depth)
    assert outcome(c, record) == outcome(ref, record)


_TWO_ENUMS = """
schema: t.labels
enums:
  Color: [UNKNOWN, RED, BLUE]
  Size: [UNKNOWN, SMALL]
messages:
  R:
    fields:
      c: Color = 1
      cs: list<Color> = 2
      m: map<string, Color> = 3
      s: Size = 4
"""


def test_label_classes_write_the_real_classes_bytes() -> None:
    schema = parse_schema(_TWO_ENUMS.replace("[UNKNOWN, SMALL]", "[NONE, SMALL]"))
    labels = label_classes(schema)
    assert labels is not None
    real = compile_classes(schema).classes["R"]
    named = labels["R"](c="BLUE", cs=["RED", "UNKNOWN"], m={"a": "RED"}, s="SMALL")
    numbered = real(c=2, cs=[1, 0], m={"a": 1}, s=1)
    assert named.SerializeToString(deterministic=True) == numbered.SerializeToString(
        deterministic=True
    )
    c = ProtobufCodec(schema)
    ref = ProtobufCodec(schema)
    ref.encode = ref._declined  # what encode does with a record the fast path declines
    record = {"c": "BLUE", "cs": ["RED"], "m": {"a": "UNKNOWN"}, "s": "SMALL"}
    assert c.encode(record) == ref.encode(record)
    # A name upb does not know (the Protobuf one, prefixed, too) takes the reference path.
    for bad in ({**record, "c": "COLOR_BLUE"}, {**record, "cs": ["RED", "X"]}, {**record, "s": 1}):
        assert outcome(c, bad) == outcome(ref, bad)
        assert outcome(c, bad)[0] == "error"


def test_enum_names_shared_by_two_enums_keep_the_numbered_path() -> None:
    schema = parse_schema(_TWO_ENUMS)  # UNKNOWN twice in one scope: no label classes
    assert label_classes(schema) is None
    c = ProtobufCodec(schema)
    assert c._cls is c.message_class
    record = {"c": "RED", "cs": [], "m": {}, "s": "UNKNOWN"}
    assert c.decode(c.encode(record)) == record


def test_messages_written_out_inline_decline_as_their_calls_would() -> None:
    """mesh's Vec3 checks are written out in Triangle's function, and Triangle's in the
    loop over the list (``inline_checks``): spoilt anywhere, the reference decides."""
    ds = load_dataset("mesh")
    c = ProtobufCodec(ds.schema, ds.type_name)
    ref = ProtobufCodec(ds.schema, ds.type_name)
    ref.encode = ref._declined  # what encode does with a record the fast path declines
    record = next(iter(ds.generator().records(1)))
    record = {**record, "triangles": record["triangles"][:3]}
    rnd = random.Random(7)
    for junk in MORE_JUNK:
        for _ in range(6):
            bad = spoil(record, rnd, junk)
            assert outcome(c, bad) == outcome(ref, bad)
    vec = {"x": 1.0, "y": 2.0, "z": 3.0}
    tri = {"v1": vec, "v2": vec, "v3": vec, "normal": vec}
    for bad_tri in (
        {**tri, "v2": {**vec, "w": 0.0}},
        {**tri, "extra": vec},
        {**tri, "v3": {"x": 1.0}},
    ):
        bad = {**record, "triangles": [tri, bad_tri]}
        assert outcome(c, bad)[0] == "error"
        assert outcome(c, bad) == outcome(ref, bad)


_KINDS = ["int32", "int64", "uint32", "uint64", "sint32", "sint64", "sfixed32", "sfixed64"]
_KINDS += ["fixed32", "fixed64"]
_EVERY_INT = "schema: t.ints\nroot: R\nmessages:\n  R:\n    fields:\n" + "".join(
    f"      f{i}: {{type: {k}, tag: {i + 1}}}\n"
    f"      o{i}: {{type: {k}, tag: {i + 21}, optional: true}}\n"
    f"      l{i}: {{type: 'list<{k}>', tag: {i + 41}}}\n"
    f"      m{i}: {{type: 'map<string, {k}>', tag: {i + 61}}}\n"
    f"      k{i}: {{type: 'map<{k}, string>', tag: {i + 81}}}\n"
    for i, k in enumerate(_KINDS)
)


def test_integer_ranges_are_left_to_upb_and_still_refused() -> None:
    """The fast path checks no integer range: upb refuses a value past its field's type
    on every path it is handed one (keyword, assignment, list, map key and value), and the
    reference then gives today's error. The bounds themselves take the fast path."""
    schema = parse_schema(_EVERY_INT)
    c = ProtobufCodec(schema)
    ref = ProtobufCodec(schema)
    ref.encode = ref._declined
    zero = {
        f"{p}{i}": z
        for i in range(len(_KINDS))
        for p, z in zip("flmk", (0, [], {}, {}), strict=True)
    }
    for i, kind in enumerate(_KINDS):
        ftype = schema.messages["R"].fields[5 * i].type
        assert isinstance(ftype, Scalar)
        lo, hi = INT_RANGES[ftype.kind]
        for v in (lo, hi):
            for field, value in (
                ("f", v),
                ("o", v),
                ("l", [0, v]),
                ("m", {"a": v}),
                ("k", {v: ""}),
            ):
                record = {**zero, f"{field}{i}": value}
                assert c._fast_encode(record) == ref.encode(record), (kind, field, v)
        for v in (lo - 1, hi + 1, 2**100, -(2**100)):
            for field, value in (
                ("f", v),
                ("o", v),
                ("l", [0, v]),
                ("m", {"a": v}),
                ("k", {v: ""}),
            ):
                record = {**zero, f"{field}{i}": value}
                assert outcome(c, record)[0] == "error", (kind, field, v)
                assert outcome(c, record) == outcome(ref, record)
