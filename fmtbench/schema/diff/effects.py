"""What one change does to one format family, each way: an ``Effect`` per change kind.

One function a kind of change (``_RULES``), each following the family's own rules as
fmtbench's codecs apply them (rules.py names the families and their sources); the value
reads they share are in reads.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fmtbench.schema.diff.changes import Change, decimal_detail
from fmtbench.schema.diff.reads import Read, changed, error, ok, scalar_read
from fmtbench.schema.model import Enum, Field, ListOf, MapOf, Scalar

#: Families whose writers leave out a plain field at its zero value (proto3's implicit
#: presence; ProtoJSON as Protobuf's json_format): its reader sees it absent.
ZERO_LEFT_OUT = ("protobuf", "protojson")


@dataclass(frozen=True)
class Effect:
    """What one change does to one format, each way; ``*_drop``: with ``--drop-unknown``,
    where that differs (None: the same)."""

    backward: Read
    forward: Read
    backward_drop: Read | None = None
    forward_drop: Read | None = None

    def read(self, direction: str, drop: bool) -> Read:
        if direction == "backward":
            return (self.backward_drop if drop else None) or self.backward
        return (self.forward_drop if drop else None) or self.forward


@dataclass(frozen=True)
class Context:
    """What some rules need beyond the change: the root names (XML's root element) and
    whether the Avro schemas are the same (avro-single's fingerprint)."""

    old_root: str
    new_root: str
    same_avro: bool


def effect(c: Change, family: str, ctx: Context) -> Effect:
    """What change ``c`` does to a format of ``family``."""
    if family == "avro-single":
        return _avro_single(c, ctx)
    rule = _RULES.get(c.kind)
    if rule is None:
        return _both(ok("no effect on the wire"))
    return rule(c, family, ctx)


# -- the rules, one function a kind ---------------------------------------------------------
def _both(r: Read) -> Effect:
    return Effect(r, r)


def _flip(e: Effect) -> Effect:
    return Effect(e.forward, e.backward, e.forward_drop, e.backward_drop)


def _missing(g: Field, family: str) -> Read:
    """The reader has field ``g``, the writer's data lacks it."""
    if family == "avro":
        return ok(
            "Avro: the reader takes the field's default (fmtbench's Avro schema gives"
            " every field one: null or its zero value)"
        )
    if g.required:
        return error("a required field absent from the data is an error")
    if g.optional:
        return ok("an optional field absent from the data reads as absent")
    return ok("an absent plain field reads as its zero value")


def _unknown(family: str) -> tuple[Read, Read | None]:
    """The writer's data has a field the reader lacks: the read, and with --drop-unknown."""
    if family == "avro":
        return ok("Avro: a writer's field the reader lacks is skipped"), None
    what = "tag" if family == "protobuf" else "field"
    return (
        error(f"an unknown {what} is an error (fmtbench's policy)"),
        ok(f"--drop-unknown discards the unknown {what}"),
    )


def _added(c: Change, family: str, ctx: Context) -> Effect:
    unknown, dropped = _unknown(family)
    return Effect(_missing(c.after, family), unknown, None, dropped)


def _removed(c: Change, family: str, ctx: Context) -> Effect:
    return _flip(_added(Change(c.kind, c.path, after=c.before), family, ctx))


def _renamed(c: Change, family: str, ctx: Context) -> Effect:
    if family == "protobuf":
        return _both(ok("Protobuf's binary wire has tags, not names"))
    if family == "avro":
        aliases = (c.after.avro or {}).get("aliases", ()) if c.after.avro else ()
        lost = changed(
            "Avro pairs fields by name: without an alias the reader takes the"
            " default and the value is lost"
        )
        back = ok("an Avro alias names the old field") if c.old in aliases else lost
        return Effect(back, lost)
    lost = changed("--drop-unknown drops the old key and the renamed field reads as absent")
    r = error("keyed by name: the old name is an unknown field")
    return Effect(r, r, lost, lost)


def _retagged(c: Change, family: str, ctx: Context) -> Effect:
    if family != "protobuf":
        return _both(ok("tags are Protobuf's alone: this format is keyed by name"))
    r = error("tags are Protobuf's identity: the old tag is unknown to the reader")
    lost = changed("--drop-unknown discards the old tag: the field reads as absent")
    return Effect(r, r, lost, lost)


def _typed(c: Change, family: str, ctx: Context) -> Effect:
    a, b = c.before.type, c.after.type
    if c.kind == "map_key_changed":
        assert isinstance(a, MapOf)
        assert isinstance(b, MapOf)
        a, b = a.key, b.key
        if family in ("json", "protojson", "xml", "bson") and (a.kind == "string") != (
            b.kind == "string"
        ):
            text = changed("map keys are text in this format: keys change type", True)
            bad = error("a key that is not a number is an error", True)
            return Effect(text if b.kind == "string" else bad, text if a.kind == "string" else bad)
        if family == "avro" and (a.kind == "string") != (b.kind == "string"):
            return _both(
                error(
                    "fmtbench's Avro writes string-keyed maps as maps, others as"
                    " arrays of entries: not resolved"
                )
            )
    elif c.kind == "map_value_changed":
        assert isinstance(a, MapOf)
        assert isinstance(b, MapOf)
        a, b = a.value, b.value
    elif isinstance(a, ListOf) and isinstance(b, ListOf):
        a, b = a.item, b.item
    if c.detail == "wrapper":
        if family == "protobuf":
            return _both(error("a wrapper is a message on the wire, the bare value a scalar"))
        return _both(ok("only Protobuf's binary wire sees the wrapper"))
    if isinstance(a, Scalar) and isinstance(b, Scalar) and a.kind == b.kind == "decimal":
        return _decimal_effect(a, b, family)
    return Effect(scalar_read(a, b, family), scalar_read(b, a, family))


def _decimal(c: Change, family: str, ctx: Context) -> Effect:
    a, b = c.before.type, c.after.type
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        a, b = a.item, b.item
    assert isinstance(a, Scalar)
    assert isinstance(b, Scalar)
    return _decimal_effect(a, b, family)


def _decimal_effect(a: Scalar, b: Scalar, family: str) -> Effect:
    if family == "avro" and a.scale != b.scale:
        return _both(
            changed(
                "an Avro decimal is an unscaled integer: read at another scale, every value changes"
            )
        )
    return Effect(_decimal_read(a, b), _decimal_read(b, a))


def _decimal_read(w: Scalar, r: Scalar) -> Read:
    if decimal_detail(w, r) == "widening" or (
        r.scale >= w.scale and r.precision - r.scale >= w.precision - w.scale
    ):
        return ok(f"every {w} fits {r}")
    return error(f"a {w} value that does not fit {r} is an error (never rounded)", True)


def _presence(c: Change, family: str, ctx: Context) -> Effect:
    f, g = c.before, c.after
    return Effect(_presence_read(f, g, family), _presence_read(g, f, family))


def _presence_read(w: Field, r: Field, family: str) -> Read:
    """Data of field ``w`` read as field ``r`` (same type, another presence)."""
    if w.optional == r.optional and w.required == r.required:
        return ok("the same presence")
    if family == "avro":
        if w.optional and not r.optional:
            return error("Avro does not resolve a [null, T] union as T: the file is refused")
        return ok("Avro resolves T as a [null, T] union" if r.optional else "the same Avro type")
    if w.optional:
        if r.required:
            return error("an absent value is an error for a required field", True)
        return changed("an absent value reads as the zero value", True)
    if family in ZERO_LEFT_OUT and not w.required:
        # A plain field's zero value is not written (proto3, and ProtoJSON as json_format
        # writes it): absent to the reader.
        if r.required:
            return error(
                "a plain field's zero value is left out: a required reader finds it missing", True
            )
        if r.optional:
            return changed("a plain field's zero value is left out: read as absent", True)
    return ok("every value is written and read")


def _oneof(c: Change, family: str, ctx: Context) -> Effect:
    """Into a oneof (or out of one): the field gains (or loses) presence, and in a group of
    several, data may set it beside another member ("joins", "leaves")."""
    f, g = c.before, c.after
    back, fwd = _presence_read(f, g, family), _presence_read(g, f, family)
    two = "the data may set it and another member of the oneof: two set is an error"
    if "joins" in c.detail:
        back = error(two, True)
    if "leaves" in c.detail:
        fwd = error(two, True)
    return Effect(back, fwd)


def _shape(c: Change, family: str, ctx: Context) -> Effect:
    """scalar_to_list (list_to_scalar is its flip)."""
    if c.kind == "list_to_scalar":
        return _flip(
            _shape(Change("scalar_to_list", c.path, before=c.after, after=c.before), family, ctx)
        )
    if c.detail == "incompatible" or family not in ("protobuf", "xml"):
        return _both(error("a single value and a list are not read as each other"))
    if family == "protobuf":
        # A single value at its zero is left out: the list reads empty, not [zero].
        back = changed(
            "a single value reads as a list of one, but its zero value is not"
            " written: an empty list",
            True,
        )
    else:
        back = ok("a single value reads as a list of one (one element)")
    item = c.after.type.item if isinstance(c.after.type, ListOf) else c.after.type
    if family == "protobuf" and isinstance(item, Scalar) and item.kind not in ("string", "bytes"):
        fwd = error("a packed list is length-delimited data: a scalar reader refuses it")
    elif family == "protobuf":
        fwd = changed("a single-value reader keeps the last of several (Protobuf's rule)", True)
    else:
        fwd = error("an element repeated where one is expected is an error", True)
    return Effect(back, fwd)


def _enum_value(c: Change, family: str, ctx: Context) -> Effect:
    old, new = c.before, c.after
    assert isinstance(old, Enum)
    assert isinstance(new, Enum)
    by_number = family == "protobuf"
    if c.kind == "enum_value_renumbered":
        if by_number:
            return _both(changed("Protobuf writes an enum's number: read as another value", True))
        return _both(ok("this format writes an enum value's name"))
    if c.kind == "enum_value_renamed":
        if by_number:
            return _both(ok("Protobuf writes an enum's number"))
        return _both(
            error("this format writes an enum value's name: the old name is unknown", True)
        )
    unknown = error("a value the reader's enum lacks is an error (a closed enum)", True)
    if family == "avro":
        default = (
            (old.avro or {}).get("default")
            if c.kind == "enum_value_added"
            else ((new.avro or {}).get("default"))
        )
        if default:
            unknown = changed(
                f"Avro reads a symbol the reader lacks as the enum's default {default}", True
            )
    known = ok("every value the writer has, the reader has")
    if c.kind == "enum_value_added":
        return Effect(known, unknown)
    return Effect(unknown, known)


def _type_renamed(c: Change, family: str, ctx: Context) -> Effect:
    if family == "avro":
        aliases = ((c.after.avro or {}).get("aliases") or ()) if c.after is not None else ()
        if any(str(a).split(".")[-1] == c.old for a in aliases):
            return Effect(
                ok("an Avro alias names the old type"),
                error("Avro names are identity: the old reader has no alias for the new name"),
            )
        return _both(error("Avro names are identity (without an alias): the file is refused"))
    if family == "xml" and c.kind == "message_renamed" and c.old == ctx.old_root:
        return _both(error("the root element is named after the record type"))
    return _both(ok("type names are not on this format's wire"))


def _xml_attribute(c: Change, family: str, ctx: Context) -> Effect:
    if family == "xml":
        return _both(error("an attribute and an element are not read as each other (XSD)"))
    return _both(ok("only XML has attributes"))


def _metadata(why: str) -> Callable[[Change, str, Context], Effect]:
    def rule(c: Change, family: str, ctx: Context) -> Effect:
        return _both(ok(why))

    return rule


_RULES: dict[str, Callable[[Change, str, Context], Effect]] = {
    "field_added": _added,
    "oneof_member_added": _added,
    "field_removed": _removed,
    "oneof_member_removed": _removed,
    "field_renamed": _renamed,
    "field_retagged": _retagged,
    "type_changed": _typed,
    "map_key_changed": _typed,
    "map_value_changed": _typed,
    "decimal_changed": _decimal,
    "scalar_to_list": _shape,
    "list_to_scalar": _shape,
    "field_made_optional": _presence,
    "field_made_required": _presence,
    "field_moved_into_oneof": _oneof,
    "field_moved_out_of_oneof": _oneof,
    "enum_value_added": _enum_value,
    "enum_value_removed": _enum_value,
    "enum_value_renumbered": _enum_value,
    "enum_value_renamed": _enum_value,
    "message_renamed": _type_renamed,
    "enum_renamed": _type_renamed,
    "default_changed": _metadata("a proto2 default is metadata: records keep the absence"),
    "reserved_added": _metadata("reserved numbers and names are not on the wire"),
    "reserved_removed": _metadata("reserved numbers and names are not on the wire"),
    "packed_changed": _metadata("Protobuf readers take lists packed and unpacked"),
    "xml_attribute_changed": _xml_attribute,
    "message_added": _metadata("a type is no change by itself"),
    "message_removed": _metadata("a type is no change by itself"),
    "enum_added": _metadata("a type is no change by itself"),
    "enum_removed": _metadata("a type is no change by itself"),
}

#: Changes that leave fmtbench's Avro schema as it is (Protobuf's and XML's own details).
_AVRO_NEUTRAL = {
    "field_retagged",
    "default_changed",
    "reserved_added",
    "reserved_removed",
    "packed_changed",
    "xml_attribute_changed",
    "message_added",
    "message_removed",
    "enum_added",
    "enum_removed",
}


def _avro_single(c: Change, ctx: Context) -> Effect:
    if ctx.same_avro:
        # The fingerprint matches: records read as Avro reads them with that one schema
        # (an int64 now a uint32 is still a long, range-checked on reading).
        return effect(c, "avro", ctx)
    neutral = (
        c.kind in _AVRO_NEUTRAL
        or c.detail in ("wire", "wrapper")
        or (c.kind == "field_made_required" and c.old == "plain")
    )
    if neutral:
        return _both(ok("not part of the Avro schema"))
    return _both(
        error(
            "another Avro schema: the record's fingerprint is refused (fmtbench"
            " keeps no schema store)"
        )
    )
