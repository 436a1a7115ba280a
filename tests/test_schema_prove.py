"""``schema diff --prove`` (issue 17): proof by data, through the real codecs.

Each test builds two versions of a small schema, runs ``prove`` over every installed
built-in format, and asserts what is known to happen: Protobuf keys fields by tag, the keyed
formats (JSON, XML, MessagePack, CBOR, BSON, ProtoJSON) by name with fmtbench's
unknown-field policy, Avro resolves the container's writer schema by name or alias, and
``avro-single`` needs the reader's own fingerprint. Enums are closed in every format (a value
added is an error to the old readers, Protobuf's included). Fast: few records a run.
"""

from __future__ import annotations

import re
from typing import Literal

import pytest

from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import UsageError
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.diff.prove import (
    BACKWARD,
    DROP_UNKNOWN,
    FORWARD,
    Outcome,
    prove,
)
from fmtbench.schema.diff.sample import sample

FORMATS = [
    name
    for name, entry in REGISTRY.items()
    if entry.origin == "fmtbench" and entry.missing() is None
]
TAGGED = {"protobuf", "protobuf-delimited"} & set(FORMATS)
AVRO = {"avro"} & set(FORMATS)
SINGLE = {"avro-single"} & set(FORMATS)
KEYED = set(FORMATS) - TAGGED - AVRO - SINGLE
BACKWARD_D, FORWARD_D = BACKWARD + DROP_UNKNOWN, FORWARD + DROP_UNKNOWN
RECORDS = 60

Want = Literal["ok", "errors", "changed", "broken"]

BASE = {
    "id": "int64 = 1",
    "name": "string = 2",
    "note": "optional string = 3",
    "color": "Color = 4",
}


def version(fields: dict[str, str], colors: str = "[RED, GREEN]", extra: str = "") -> Schema:
    lines = "".join(f"      {name}: {spec}\n" for name, spec in fields.items())
    text = (
        "schema: t\nroot: R\nenums:\n"
        f"  Color: {colors}\n"
        f"messages:\n  R:\n    fields:\n{lines}{extra}"
    )
    return parse_schema(text, "<test>")


def changed(**fields: str | None) -> dict[str, str]:
    """BASE with fields replaced, added (a new name) or removed (None)."""
    out = dict(BASE)
    for name, spec in fields.items():
        if spec is None:
            del out[name]
        else:
            out[name] = spec
    return out


def run(old: Schema, new: Schema) -> dict[str, dict[str, Outcome]]:
    return prove(old, new, None, None, FORMATS, records=RECORDS, seed=1)


def check(outcome: Outcome, want: Want, where: str) -> None:
    if want == "ok":
        assert outcome.ok, f"{where}: {outcome}"
        return
    assert not outcome.ok, f"{where}: expected {want}, got {outcome}"
    assert outcome.first_problem, where
    if want == "errors":
        assert outcome.errors > 0, f"{where}: {outcome}"
    elif want == "changed":
        assert outcome.changed > 0, f"{where}: {outcome}"
        assert outcome.errors == 0, f"{where}: {outcome}"


def expect(result: dict[str, dict[str, Outcome]], formats: set[str], **wants: Want) -> None:
    """``backward=``, ``forward=``, ``backward_d=``, ``forward_d=`` (with --drop-unknown)."""
    keys = {
        "backward": BACKWARD,
        "forward": FORWARD,
        "backward_d": BACKWARD_D,
        "forward_d": FORWARD_D,
    }
    for fmt in formats:
        for arg, want in wants.items():
            check(result[fmt][keys[arg]], want, f"{fmt} {keys[arg]}")


# -- the API --------------------------------------------------------------------------------
def test_keys_per_policy_and_ok_property() -> None:
    old, new = version(BASE), version(changed(extra="optional string = 5"))
    both = prove(old, new, None, None, ["json", "avro"], records=10)
    assert set(both["json"]) == {BACKWARD, FORWARD, BACKWARD_D, FORWARD_D}
    assert set(both["avro"]) == {BACKWARD, FORWARD}  # Avro resolution has no such policy
    only = prove(old, new, None, None, ["json"], records=10, drop_unknown=True)
    assert set(only["json"]) == {BACKWARD_D, FORWARD_D}
    plain = prove(old, new, None, None, ["json"], records=10, drop_unknown=False)
    assert set(plain["json"]) == {BACKWARD, FORWARD}
    out = plain["json"][FORWARD]
    assert out.records == 10
    assert out.read + out.errors == 10
    assert not out.ok
    assert Outcome(3, 3, 0, 0, None).ok
    assert not Outcome(3, 3, 1, 0, "record 2: x: wrote 1, read 2").ok


def test_the_data_holds_absent_zero_and_extreme_values() -> None:
    records = sample(version(BASE), None, RECORDS, 0)
    ids = {r["id"] for r in records}
    assert {0, -(2**63), 2**63 - 1} <= ids
    assert any(abs(i) > 2**31 for i in ids)  # values a narrowing to int32 cannot hold
    notes = [r.get("note") for r in records]
    assert None in notes
    assert "" in notes
    assert {r["color"] for r in records} == {"RED", "GREEN"}


def test_same_version_reads_back_unchanged_everywhere() -> None:
    # Nested messages, lists, maps with integer keys, every leaf kind fmtbench compares
    # specially (floats, bools, bytes, timestamps): the comparison finds no false change.
    extra = (
        "  Line:\n    fields:\n"
        "      sku: string = 1\n      qty: uint32 = 2\n      price: float32 = 3\n"
        "      gift: optional bool = 4\n"
    )
    fields = changed(
        lines="list<Line> = 5",
        counts="map<int32, float64> = 6",
        at="timestamp = 7",
        blob="optional bytes = 8",
        main="optional Line = 9",
        colors="list<Color> = 10",
        amount="decimal(40, 6) = 11",
    )
    schema = version(fields, extra=extra)
    result = run(schema, schema)
    for fmt, outcomes in result.items():
        for key, outcome in outcomes.items():
            check(outcome, "ok", f"{fmt} {key}")
            assert outcome.records == RECORDS


# -- fields ---------------------------------------------------------------------------------
def test_optional_field_added() -> None:
    result = run(version(BASE), version(changed(extra="optional string = 5")))
    # Old readers meet a field they do not know: an error unless --drop-unknown.
    expect(result, TAGGED | KEYED, backward="ok", backward_d="ok", forward="errors")
    expect(result, TAGGED | KEYED, forward_d="ok")
    expect(result, AVRO, backward="ok", forward="ok")  # a null default; skipped when unknown
    # Single objects name their schema by fingerprint: another schema is refused.
    expect(result, SINGLE, backward="errors", forward="errors")


def test_field_removed() -> None:
    result = run(version(BASE), version(changed(color=None)))
    expect(result, TAGGED | KEYED, backward="errors", backward_d="ok", forward="ok")
    expect(result, AVRO, backward="ok", forward="ok")  # the old reader fills the zero default


def test_field_renamed_same_tag() -> None:
    result = run(version(BASE), version(changed(name=None, title="string = 2")))
    expect(result, TAGGED, backward="ok", forward="ok")  # the wire carries the number only
    expect(result, KEYED, backward="errors", forward="errors")  # the wire carries the name
    # With --drop-unknown the old name is dropped and the field read under its new name
    # holds its zero value: the value written is lost, which the comparison catches.
    expect(result, KEYED, backward_d="changed", forward_d="changed")
    assert re.search(r"title: wrote '[^']+', read ''", _first(result, "json", BACKWARD_D))
    # Avro without an alias: the new field's default stands in for the value written.
    expect(result, AVRO, backward="changed", forward="changed")


def test_field_renamed_with_avro_alias_keeps_the_value() -> None:
    aliased = "{type: string, tag: 2, avro: {aliases: [name]}}"
    result = run(version(BASE), version(changed(name=None, title=aliased)))
    # The new reader finds the old field through its alias: values compared, all equal.
    expect(result, AVRO, backward="ok")
    assert result["avro"][BACKWARD].read == RECORDS


def test_field_retagged() -> None:
    result = run(version(BASE), version(changed(name="string = 7")))
    expect(result, TAGGED, backward="errors", forward="errors")
    expect(result, TAGGED, backward_d="changed", forward_d="changed")  # the value is lost
    expect(result, KEYED | AVRO, backward="ok", forward="ok")  # the number is not on the wire


def test_optional_made_required() -> None:
    result = run(version(BASE), version(changed(note="string = 3")))
    # An absent value reads as the zero value: a change of what the record says.
    expect(result, TAGGED | KEYED, backward="changed")
    assert "note: wrote nothing, read ''" in _first(result, "json")
    expect(result, AVRO, backward="errors", forward="ok")  # null is not a string
    # The Protobuf family does not write a plain field's zero value: an old reader, for
    # which the field has presence, reads the empty string as no value.
    protobuf_family = {"protojson", "protojsonl"} & KEYED | TAGGED
    expect(result, protobuf_family, forward="changed")
    assert "note: wrote '', read nothing" in _first(result, "protobuf", FORWARD)
    expect(result, KEYED - protobuf_family, forward="ok")


def test_record_type_renamed() -> None:
    # Messages pair from the root by the fields that hold them, whatever their names.
    old = version(
        changed(sub="optional Sub = 5"), extra="  Sub:\n    fields:\n      x: int32 = 1\n"
    )
    new = version(
        changed(sub="optional Sub2 = 5"), extra="  Sub2:\n    fields:\n      x: int32 = 1\n"
    )
    result = run(old, new)
    expect(result, TAGGED | KEYED - {"xml"}, backward="ok", forward="ok")
    # XML names the element by its type only at the root: a nested type's name is not on
    # the wire. Avro resolves named types by name (or alias): Sub is not Sub2.
    expect(result, {"xml"} & KEYED, backward="ok", forward="ok")
    expect(result, AVRO, backward="errors", forward="errors")
    problem = _first(result, "avro")
    assert len(problem) < 600, problem  # fastavro's message quotes both schemas: cut short
    assert "Sub2" in problem


# -- types ----------------------------------------------------------------------------------
def test_int32_widened_to_int64() -> None:
    result = run(version(changed(id="int32 = 1")), version(BASE))
    expect(result, TAGGED | KEYED | AVRO, backward="ok")
    # New data spans int64: old readers refuse what int32 cannot hold, never truncate it.
    expect(result, TAGGED | KEYED | AVRO, forward="errors")
    assert "out of range for int32" in _first(result, "protobuf", FORWARD)


def test_int64_narrowed_to_int32_inside_a_list() -> None:
    extra = "  Line:\n    fields:\n      qty: {qty}\n"
    old = version(changed(lines="list<Line> = 5"), extra=extra.format(qty="int64 = 1"))
    new = version(changed(lines="list<Line> = 5"), extra=extra.format(qty="int32 = 1"))
    result = run(old, new)
    expect(result, TAGGED | KEYED, backward="errors", forward="ok")
    assert re.search(r"lines\[\d+\]\.qty", _first(result, "protobuf"))  # the value's path


def test_integer_encoding_changed() -> None:
    # int64 -> sint64: the same canonical values, another varint on the Protobuf wire.
    result = run(version(BASE), version(changed(id="sint64 = 1")))
    expect(result, TAGGED, backward="changed", forward="changed")
    expect(result, KEYED | AVRO | SINGLE, backward="ok", forward="ok")


def test_string_to_bytes() -> None:
    result = run(version(BASE), version(changed(name="bytes = 2")))
    # Protobuf and Avro read a string as its UTF-8 bytes (the same value); bytes that are
    # not UTF-8 cannot be read as a string.
    expect(result, TAGGED | AVRO, backward="ok", forward="errors")
    # The keyed formats spell bytes apart from text (base64, a bytes type).
    expect(result, {"json", "msgpack", "cbor", "bson"} & KEYED, backward="errors")


def test_int_to_float64() -> None:
    result = run(version(changed(id="int32 = 1")), version(changed(id="float64 = 1")))
    # Protobuf: a varint where a 64-bit value belongs; dropping it loses the value.
    expect(result, TAGGED, backward="errors", backward_d="changed")
    # Keyed formats read an integer as the same float exactly.
    expect(result, KEYED, backward="ok", forward="errors")


def test_float32_widened_to_float64() -> None:
    result = run(version(changed(id="float32 = 1")), version(changed(id="float64 = 1")))
    expect(result, TAGGED, backward="errors")  # fixed32 vs fixed64 on the wire
    expect(result, {"json", "msgpack", "cbor", "xml"} & KEYED, backward="ok")
    # ProtoJSON writes a float32 as its shortest float32 text, which as a double is
    # another value.
    expect(result, {"protojson"} & KEYED, backward="changed")
    expect(result, AVRO, backward="ok", forward="errors")  # float promotes to double only


def test_decimal_precision_widened() -> None:
    old = version(changed(amount="decimal(10, 2) = 5"))
    new = version(changed(amount="decimal(12, 2) = 5"))
    result = run(old, new)
    expect(result, TAGGED | KEYED, backward="ok")
    # The widest new values (edge values of the data) do not fit the old precision.
    expect(result, TAGGED | KEYED, forward="errors")


# -- enums ----------------------------------------------------------------------------------
def test_enum_value_added_is_refused_by_old_readers() -> None:
    result = run(version(BASE), version(BASE, colors="[RED, GREEN, BLUE]"))
    expect(result, TAGGED | KEYED | AVRO, backward="ok", forward="errors")
    # fmtbench's enums are closed in every format, Protobuf's included (no unknown numbers).
    expect(result, TAGGED | KEYED, forward_d="errors")
    assert "no value numbered 2" in _first(result, "protobuf", FORWARD)


def test_enum_value_renamed_same_number() -> None:
    result = run(version(BASE), version(BASE, colors="[RED, VERT]"))
    expect(result, TAGGED, backward="ok", forward="ok")  # compared by number
    expect(result, KEYED | AVRO, backward="errors", forward="errors")  # by name


def test_enum_value_renumbered_same_name() -> None:
    # GREEN moves from 1 to 2 and BLUE takes 1: Protobuf readers read old GREENs as BLUE.
    old = version(BASE, colors="[RED, GREEN]")
    new = version(BASE, colors="{values: {RED: 0, BLUE: 1, GREEN: 2}}")
    result = run(old, new)
    expect(result, TAGGED, backward="changed")
    assert "color: wrote 'GREEN', read 'BLUE'" in _first(result, "protobuf")
    expect(result, KEYED | AVRO, backward="ok")  # by name


# -- Avro defaults --------------------------------------------------------------------------
def test_avro_field_added_with_and_without_default() -> None:
    # A plain string gets its zero value as the Avro default; a timestamp has none.
    with_default = run(version(BASE), version(changed(extra="string = 5")))
    expect(with_default, AVRO, backward="ok")
    without = run(version(BASE), version(changed(at="timestamp = 5")))
    expect(without, AVRO, backward="errors")
    assert "resolution" in _first(without, "avro")
    expect(without, TAGGED | KEYED, backward="ok")  # an added field is not compared


def test_unknown_format_name_is_a_usage_error() -> None:
    schema = version(BASE)
    with pytest.raises(UsageError, match="unknown format"):
        prove(schema, schema, None, None, ["protobuf", "nope"], records=2)


def test_map_values_compared_by_key_with_the_path() -> None:
    old = version(changed(counts="map<string, int64> = 5"))
    new = version(changed(counts="map<string, sint64> = 5"))
    result = run(old, new)
    expect(result, TAGGED, backward="changed")
    assert re.search(r'counts\["[^"]*"\]: wrote -?\d+, read -?\d+', _first(result, "protobuf"))
    expect(result, KEYED | AVRO, backward="ok", forward="ok")


def test_a_version_a_format_cannot_compile_is_one_outcome_not_an_exception() -> None:
    # Protobuf names a map's entry message TagsEntry: a field of that name clashes.
    new = version(changed(tags="map<string, string> = 5", TagsEntry="string = 6"))
    result = prove(version(BASE), new, None, None, ["protobuf", "json"], records=5)
    backward, forward = result["protobuf"][BACKWARD], result["protobuf"][FORWARD]
    assert (backward.records, backward.errors) == (5, 5)
    assert "the reader version cannot read protobuf" in (backward.first_problem or "")
    assert (forward.records, forward.errors) == (0, 1)
    assert not forward.ok
    check(result["json"][BACKWARD], "ok", "json backward")


def _first(result: dict[str, dict[str, Outcome]], fmt: str, key: str = BACKWARD) -> str:
    return result[fmt][key].first_problem or ""
