"""The counted path: a record's own strings, counted in C, stand in for the write-back.

exact.py proves a record by writing its Structs back and comparing the bytes (0.3-0.4x of
``orjson.loads`` on ``mesh`` and ``tree``), then walks them again for float32 leaves and,
on recursive records, for ``--max-depth``. Where every leaf msgspec reads (exact.py's
types) is canonical as read, less needs proving, and one walk over the record's dicts
proves it:

- duplicate keys and unknown fields: keys.py's quote count. In JSON without a backslash,
  ``data.count(b'"')`` is twice the strings of the input; every key of the record (message
  fields and map keys) and every text leaf (string, enum name) came from one of them. So a
  count equal to twice the record's strings leaves no key dropped (a duplicate, or an
  unknown field: TypedDicts drop those, as Structs do under ``--drop-unknown``). The walk
  counts them a list of dicts at a time.
- float leaves: read as ``float`` (exact.py), where msgspec turns an integer literal into
  a double, rounding one past 2**53 where the tree path refuses it. Gathered in C and
  packed as doubles, their bytes prove, a byte column at a time: a float32 leaf's low 29
  mantissa bits are zero and its exponent within 2**-111..2**49 (so it is a normal float32,
  and no integer literal was rounded); a float64 leaf's magnitude is below 2**49. A list
  that fails (a zero, a large value) is checked value by value (``array('f')``, ``abs``).
- levels: the walk goes a message level at a time, so it counts them, for ``--max-depth``
  and for the nesting a JSON reader takes (a level is at most two brackets: ``[{``).

The dicts come from exact.py's Structs (``to_builtins``: fields in schema order) or, for a
recursive schema of required fields only, straight from msgspec as TypedDicts
(``typed_dicts``) in the input's key order: the census then also proves every message
type's keys, one dict after another, its fields again and again (``ordered``). Schemas with
other leaves (timestamps, bytes, decimals, integer map keys, oneofs) have no counted path:
``compile_census`` returns None and the write-back decides, as before.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from functools import partial
from itertools import chain, filterfalse, repeat
from operator import is_, itemgetter
from struct import pack
from typing import Any, Literal, TypedDict

from fmtbench.codecs.values import oneof
from fmtbench.schema.model import (
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    reachable_messages,
)

__all__ = ["Census", "CensusDeclined", "compile_census"]

#: Leaves whose msgspec value (exact.py's types) is canonical with no check at all.
_PLAIN = frozenset({"bool", "int32", "int64", "uint32", "uint64"})
_TEXT = frozenset({"string"})
_FLOATS = frozenset({"float32", "float64"})
#: Where float leaves go (not message names: those are identifiers).
_F32, _F64 = " f32", " f64"

#: Byte columns of little-endian doubles: every byte deleted that passes, so a test is
#: "nothing left". The top byte holds the sign and the exponent's top 7 bits: 57..66 is an
#: exponent of -111..48 (a normal float32, below 2**49); 0..66, any double below 2**49.
_F32_TOP = bytes(b for b in range(256) if 57 <= b & 0x7F <= 66)
_F64_TOP = bytes(b for b in range(256) if b & 0x7F <= 66)
_LOW5_ZERO = bytes(b for b in range(256) if not b & 0x1F)
_ZERO = b"\0"
_EXACT_INT = 2.0**53


class CensusDeclined(ValueError):
    """A float leaf the bytes do not prove canonical: the write-back path decides."""


def _f32_ok(xs: list[float]) -> bool:
    b = pack(f"<{len(xs)}d", *xs)
    if not (
        b[7::8].translate(None, _F32_TOP)
        or b[3::8].translate(None, _LOW5_ZERO)
        or (b[0::8] + b[1::8] + b[2::8]).translate(None, _ZERO)
    ):
        return True
    # Zeros, tiny or large values: each exactly a float32, none an integer past 2**53.
    return array("f", xs).tolist() == xs and max(map(abs, xs)) < _EXACT_INT


def _f64_ok(xs: list[float]) -> bool:
    if not pack(f"<{len(xs)}d", *xs)[7::8].translate(None, _F64_TOP):
        return True
    return max(map(abs, xs)) < _EXACT_INT


#: A record's strings (keys and text leaves) and its message levels, or ``CensusDeclined``.
Census = Callable[[dict[str, Any]], tuple[int, int]]


def _leaf_ok(ftype: FieldType) -> bool:
    inner = element_type(ftype)
    if isinstance(ftype, MapOf) and ftype.key.kind != "string":
        return False  # integer and bool keys are converted from text
    if isinstance(inner, Scalar):
        return inner.kind in _PLAIN or inner.kind in _TEXT or inner.kind in _FLOATS
    return True  # an enum (a name, as read) or a message


def _is_text(ftype: FieldType) -> bool:
    return isinstance(ftype, EnumRef) or (isinstance(ftype, Scalar) and ftype.kind in _TEXT)


def compile_census(schema: Schema, root: str, *, ordered: bool = False) -> Census | None:
    """The census of ``root`` records as ``to_builtins`` makes them from exact.py's
    Structs, or None where some leaf is not canonical as read (see above).

    ``ordered``: for dicts read in the input's key order (``typed_dicts``), each also
    proven in schema order, or CensusDeclined; None where a message has an optional
    field (its keys vary from dict to dict).

    One generated function: per message type a list of this level's dicts (``c0``,
    ``c1``...), the next level's gathered into ``b0``, ``b1``... (a Python step a level
    and message type, never a dict)."""
    messages = list(reachable_messages(schema, root))
    if any(oneof.groups(m) or not all(_leaf_ok(f.type) for f in m.fields) for m in messages):
        return None
    if ordered and any(f.optional for m in messages for f in m.fields):
        return None
    index = {m.name: i for i, m in enumerate(messages)}
    namespace: dict[str, Any] = {
        "_chain": chain.from_iterable,
        "_map": map,
        "_sum": sum,
        "_len": len,
        "_list": list,
        "_values": dict.values,
        "_get": dict.get,
        "_repeat": repeat,
        "_filterfalse": filterfalse,
        "_none": partial(is_, None),
        "_f32_ok": _f32_ok,
        "_f64_ok": _f64_ok,
        "_Declined": CensusDeclined,
    }
    dests = {m.name: f"b{index[m.name]}" for m in messages}
    dests[_F32], dests[_F64] = "f32", "f64"
    lists = [f"c{i}" for i in range(len(messages))]
    lines = ["def census(r):", "    f32 = []", "    f64 = []", "    n = 0", "    levels = 0"]
    lines += [f"    {c} = {'[r]' if c == f'c{index[root]}' else '[]'}" for c in lists]
    lines.append(f"    while {' or '.join(lists)}:")
    lines.append("        levels += 1")
    lines += [f"        b{i} = []" for i in range(len(messages))]
    for m in messages:
        i = index[m.name]
        lines.append(f"        if c{i}:")
        lines.append(f"            ds = c{i}")
        if ordered:  # every dict's keys, one after another, are the fields' again and again
            namespace[f"_k{i}"] = [f.name for f in m.fields]
            lines.append(f"            if _list(_chain(ds)) != _k{i} * _len(ds):")
            lines.append("                raise _Declined")
        lines += [f"        {line}" for line in _message_lines(m.fields, i, dests, namespace)]
    targets = ", ".join(lists)
    sources = ", ".join(f"b{i}" for i in range(len(messages)))
    lines.append(f"        {targets} = {sources}")
    lines += [
        "    if (f32 and not _f32_ok(f32)) or (f64 and not _f64_ok(f64)):",
        "        raise _Declined",
        "    return n, levels",
    ]
    # Generated from the schema model only (keys bound as values, names numbered).
    exec("\n".join(lines), namespace)
    return namespace["census"]  # type: ignore[no-any-return]


def _dest(ftype: FieldType) -> str | None:
    """Where a field's values (or its list's items, its map's values) are gathered."""
    inner = element_type(ftype)
    if isinstance(inner, MessageRef):
        return inner.name
    if isinstance(inner, Scalar) and inner.kind in _FLOATS:
        return _F32 if inner.kind == "float32" else _F64
    return None


def _message_lines(
    fields: Any, i: int, dests: dict[str, str], namespace: dict[str, Any]
) -> list[str]:
    """The statements counting the strings of the dicts ``ds`` of one message type, their
    messages and float leaves appended to the next level's lists (``dests``)."""
    optional = any(f.optional for f in fields)
    # The strings every dict of the type has: its keys, unless some are optional (then
    # counted dict by dict), and its required text leaves.
    per_dict = 0 if optional else len(fields)
    per_dict += sum(1 for f in fields if not f.optional and _is_text(f.type))
    lines = ["    n += _sum(_map(_len, ds))"] if optional else []
    if per_dict:
        lines.append(f"    n += {per_dict} * _len(ds)")
    for j, f in enumerate(fields):
        lines += _field_lines(f, i, j, dests, namespace)
    return lines


def _field_lines(
    f: Any, i: int, j: int, dests: dict[str, str], namespace: dict[str, Any]
) -> list[str]:
    t, found = f.type, _dest(f.type)
    dest = None if found is None else dests[found]
    text = _is_text(element_type(t))
    if not (
        dest is not None or isinstance(t, MapOf) or (text and (f.optional or isinstance(t, ListOf)))
    ):
        return []  # a plain leaf, or a required text one (counted per dict)
    getter = f"_g{i}_{j}"
    if f.optional:
        namespace[getter] = f.name
        values = f"_filterfalse(_none, _map(_get, ds, _repeat({getter})))"
    else:
        namespace[getter] = itemgetter(f.name)
        values = f"_map({getter}, ds)"
    if isinstance(t, MapOf):  # its keys, and its values where they are text
        if dest is None:
            return [f"    n += {2 if text else 1} * _sum(_map(_len, {values}))"]
        return [
            f"    v = _list({values})",
            "    n += _sum(_map(_len, v))",
            f"    {dest}.extend(_chain(_map(_values, v)))",
        ]
    if isinstance(t, ListOf):
        if text:
            return [f"    n += _sum(_map(_len, {values}))"]
        return [f"    {dest}.extend(_chain({values}))"]
    if text:  # an optional text leaf: counted where present
        return [f"    n += _len(_list({values}))"]
    return [f"    {dest}.extend({values})"]


#: The functional form, with names made from the schema's (mypy types only literal ones).
_typed_dict: Any = TypedDict


def typed_dicts(schema: Schema, root: str, scalars: dict[str, Any]) -> Any:
    """``root`` as msgspec TypedDicts (``scalars``: each kind's msgspec type), for a schema
    ``compile_census(..., ordered=True)`` takes: msgspec then builds the record's dicts
    itself, in the input's key order (the census proves it the schema's)."""
    messages = list(reachable_messages(schema, root))
    # Two passes, so that messages may refer to each other (recursion included): msgspec
    # reads the field types from ``__annotations__`` when the Decoder is built.
    dicts: dict[str, Any] = {
        m.name: _typed_dict(f"{m.name}_dict", dict.fromkeys((f.name for f in m.fields), Any))
        for m in messages
    }

    def mtype(t: FieldType) -> Any:
        if isinstance(t, ListOf):
            return list[mtype(t.item)]  # type: ignore[misc]
        if isinstance(t, MapOf):
            return dict[str, mtype(t.value)]  # type: ignore[misc]
        if isinstance(t, MessageRef):
            return dicts[t.name]
        if isinstance(t, EnumRef):
            return Literal[schema.enums[t.name].canonical_names]
        assert isinstance(t, Scalar)
        return scalars[t.kind]

    for m in messages:
        dicts[m.name].__annotations__ = {f.name: mtype(f.type) for f in m.fields}
    return dicts[root]
