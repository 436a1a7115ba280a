"""The ``avro:`` hints of a schema: how Avro spells a field, a union, a record or an enum.

A schema imported from an ``.avsc`` (schema/avscfile.py) keeps, beside its canonical types,
what Avro needs to write the same bytes and export the same schema (the same Parsing
Canonical Form): a logical type (``timestamp`` written as ``timestamp-millis``), a ``fixed``
(bytes of one size, by name), where ``null`` stands in a union, the Avro default and the
aliases (kept for schema resolution), and the Avro full names. Like an integer encoding
(``sint64``) they change the Avro bytes only: every other format ignores them. This module
checks them (the loader calls ``problem``) and names what each one means.

```yaml
placed: {type: timestamp, tag: 1, avro: timestamp-millis}   # shorthand: the logical type
digest: {type: bytes, tag: 2, avro: {fixed: com.acme.MD5, size: 16}}
note: {type: optional string, tag: 3, avro: {null: last, default: ""}}
```
"""

from __future__ import annotations

import re
from typing import Any

from fmtbench.schema.model import Enum, Field, ListOf, MapOf, Scalar

DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Logical types by name -> (the canonical scalar kind that holds them, Avro's type).
LOGICAL: dict[str, tuple[str, str]] = {
    "timestamp-millis": ("timestamp", "long"),
    "timestamp-micros": ("timestamp", "long"),
    "timestamp-nanos": ("timestamp", "long"),
    "local-timestamp-millis": ("timestamp", "long"),
    "local-timestamp-micros": ("timestamp", "long"),
    "local-timestamp-nanos": ("timestamp", "long"),
    "date": ("int32", "int"),
    "time-millis": ("int32", "int"),
    "time-micros": ("int64", "long"),
    "uuid": ("string", "string"),
    "duration": ("bytes", "fixed"),
    "decimal": ("bytes", "bytes"),
}
#: Nanoseconds a unit of each timestamp logical type (by its last word).
UNIT_NANOS = {"millis": 1_000_000, "micros": 1_000, "nanos": 1}

FIELD_KEYS = (
    "logical",
    "other",
    "precision",
    "scale",
    "fixed",
    "size",
    "null",
    "default",
    "aliases",
)
GROUP_KEYS = ("union", "null", "default", "aliases")
MESSAGE_KEYS = ("name", "aliases")
ENUM_KEYS = ("name", "default", "aliases")


def normal(value: Any) -> Any:
    """The stored form of a field's ``avro:`` value: the shorthand string is its logical type."""
    return {"logical": value} if isinstance(value, str) else value


def element(f: Field) -> Any:
    """The type a field's hint applies to: a list's item, a map's value, else its type."""
    t = f.type
    return t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t


def field_problem(f: Field, hint: Any) -> str | None:
    """What is wrong with a field's ``avro:`` hint, or None."""
    if not isinstance(hint, dict):
        return "avro must be a logical type name or a mapping"
    if bad := _unknown(hint, FIELD_KEYS):
        return bad
    t = element(f)
    kind = t.kind if isinstance(t, Scalar) else None
    logical = hint.get("logical")
    if logical is not None:
        if logical not in LOGICAL:
            return f"unknown Avro logical type {logical!r} (known: {', '.join(LOGICAL)})"
        want = LOGICAL[logical][0]
        if kind != want or (t.encoding if isinstance(t, Scalar) else ""):
            return f"the logical type {logical} needs a {want} field, not {f.type}"
        if logical == "duration" and hint.get("size") != 12:
            return "the logical type duration needs a fixed of size 12"
        if logical == "decimal":
            p: Any = hint.get("precision")
            s: Any = hint.get("scale", 0)
            if not (_count(p) and _count(s)) or p < 1 or s > p:
                return "decimal needs a precision of 1 or more and a scale within 0..precision"
    elif "precision" in hint or "scale" in hint:
        return "precision and scale belong to the logical type decimal"
    if "other" in hint and (not isinstance(hint["other"], str) or "logical" in hint):
        return "other is a logical type fmtbench does not know, kept for the export"
    if ("fixed" in hint) != ("size" in hint):
        return "a fixed needs both its name ('fixed') and its 'size'"
    if "fixed" in hint:
        if kind not in ("bytes", "decimal"):
            return f"a fixed holds bytes or a decimal, not {f.type}"
        if not isinstance(hint["fixed"], str) or not DOTTED.match(hint["fixed"]):
            return f"fixed must be an Avro name like com.acme.MD5, not {hint['fixed']!r}"
        if not _count(hint["size"]):
            return f"size must be a whole number of bytes, not {hint['size']!r}"
    if "null" in hint:
        if hint["null"] != "last":
            return "null may only be 'last' (a union [T, null]; [null, T] is the default)"
        if not f.optional or f.oneof is not None:
            return "null: last applies to an optional field"
    return _aliases(hint, IDENT)


def group_problem(hint: Any, members: int) -> str | None:
    if not isinstance(hint, dict):
        return "avro must be a mapping such as {union: true}"
    if bad := _unknown(hint, GROUP_KEYS):
        return bad
    if hint.get("union") is not True:
        return "a oneof's avro hint needs 'union: true'"
    null = hint.get("null")
    if null is not None and (not _count(null) or null > members):
        return f"null must be the index of null in the union (0..{members})"
    return _aliases(hint, IDENT)


def named_problem(hint: Any, enum: Enum | None = None) -> str | None:
    """A record's (or, with ``enum``, an enum's) hint."""
    if not isinstance(hint, dict):
        return "avro must be a mapping such as {name: com.acme.Type}"
    if bad := _unknown(hint, ENUM_KEYS if enum is not None else MESSAGE_KEYS):
        return bad
    if "name" in hint and not (isinstance(hint["name"], str) and DOTTED.match(hint["name"])):
        return f"name must be an Avro full name like com.acme.Type, not {hint['name']!r}"
    if enum is not None and "default" in hint and hint["default"] not in enum.names:
        return f"the default symbol {hint['default']!r} is not one of the enum's values"
    return _aliases(hint, DOTTED)


def _unknown(hint: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    extra = [k for k in hint if k not in keys]
    return f"unknown avro key {extra[0]!r} (known: {', '.join(keys)})" if extra else None


def _aliases(hint: dict[str, Any], pattern: re.Pattern[str]) -> str | None:
    aliases = hint.get("aliases", [])
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and pattern.match(a) for a in aliases
    ):
        return f"aliases must be a list of Avro names, not {aliases!r}"
    return None


def _count(v: Any) -> bool:
    return type(v) is int and v >= 0
