"""An Avro schema as fastavro reads and writes fmtbench's datums: the same bytes, other shapes.

``wire_form`` rewrites an Avro schema (JSON data) without changing a byte of its datums:
- every name fully qualified (``namespace`` dropped), so that pieces may move;
- logical types dropped: fmtbench converts their values itself (exactly, with errors that
  name the field), where fastavro would round or wrap;
- every ``map`` an array of ``{key, value}`` records (the same bytes), so that a key written
  twice is seen instead of kept once by a dict;
- every union of several types (or of one without null) a union of one-field records, one a
  branch (a record of one field is that field's bytes): fastavro then tells which branch it
  read (``return_record_name``) and is told which to write (a ``(name, datum)`` tuple),
  where it would guess from the Python value (an ``int`` fits ``int`` and ``long`` alike).
  The one exception is fmtbench's own ``uint64``, ``long`` or ``fmtbench.avro.UInt64``
  (avsc.py): an ``int`` or 8 bytes, which fastavro cannot confuse, kept as it is.

It serves the codec's own schema and, for schema resolution, a file's writer schema: both
rewritten alike, names stay comparable (entries by their record and field, branches by
their type).
"""

from __future__ import annotations

from typing import Any

#: The namespace of the records that wrap union branches.
BRANCH_NS = "fmtbench.branch"
#: The namespace of the entry records of maps.
ENTRY_NS = "fmtbench.entry"
#: fmtbench's fixed(8) of the uint64 values above 2^63-1 (avsc.py).
UINT64_NAME = "fmtbench.avro.UInt64"
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
#: What each primitive branch also takes in schema resolution (Avro's promotions).
_PROMOTED_FROM = {
    "long": ("int",),
    "float": ("int", "long"),
    "double": ("int", "long", "float"),
    "string": ("bytes",),
    "bytes": ("string",),
}


def branch_name(key: str) -> str:
    """The full name of the record wrapping a branch, by ``branch_key``."""
    return f"{BRANCH_NS}.{key}"


def branch_key(avro_type: str) -> str:
    """A branch by its type: a primitive's name, a named type's full name (dots as ``_``)."""
    if avro_type in _PRIMITIVES:
        return avro_type
    return "n_" + avro_type.replace(".", "_")


def wire_form(schema: Any) -> Any:
    return _Wire().type(schema, "", "root")


class _Wire:
    def __init__(self) -> None:
        self.wrapped: set[str] = set()

    def name(self, name: str, ns: str) -> str:
        return name if "." in name or not ns else f"{ns}.{name}"

    def branch_name(self, t: Any, ns: str) -> str | None:
        """A primitive's or a fixed's full name (without rewriting it), else None."""
        if isinstance(t, str):
            return t if t in _PRIMITIVES else self.name(t, ns)
        if isinstance(t, dict) and t.get("type") == "fixed" and isinstance(t.get("name"), str):
            inner = t.get("namespace", ns) if "." not in t["name"] else ""
            return self.name(t["name"], inner)
        return None

    def type(self, t: Any, ns: str, where: str) -> Any:
        if isinstance(t, str):
            return t if t in _PRIMITIVES else self.name(t, ns)
        if isinstance(t, list):
            return self.union(t, ns, where)
        kind = t["type"]
        if not isinstance(kind, str):
            return self.type(kind, ns, where)
        if kind in _PRIMITIVES:
            return kind  # a logical type's underlying type: its value is converted by fmtbench
        if kind == "array":
            return {"type": "array", "items": self.type(t["items"], ns, where + "_i")}
        if kind == "map":
            entry = {
                "type": "record",
                "name": f"{ENTRY_NS}.{where}",
                "fields": [
                    {"name": "key", "type": "string"},
                    {"name": "value", "type": self.type(t["values"], ns, where + "_v")},
                ],
            }
            return {"type": "array", "items": entry}
        full = self.name(t["name"], t.get("namespace", ns) if "." not in t["name"] else "")
        inner = full.rpartition(".")[0]
        out: dict[str, Any] = {"type": kind, "name": full}
        if "aliases" in t:
            out["aliases"] = [self.name(a, inner) for a in t["aliases"]]
        if kind == "fixed":
            out["size"] = t["size"]
        elif kind == "enum":
            out["symbols"] = t["symbols"]
            if "default" in t:
                out["default"] = t["default"]
        else:
            out["fields"] = [self.field(f, inner, full) for f in t["fields"]]
        return out

    def field(self, f: dict[str, Any], ns: str, record: str) -> dict[str, Any]:
        where = f"{record.replace('.', '_')}__{f['name']}"
        t = self.type(f["type"], ns, where)
        out: dict[str, Any] = {"name": f["name"], "type": t}
        if "aliases" in f:
            out["aliases"] = f["aliases"]
        if "default" in f:
            out["default"] = _default(f["type"], f["default"])
        return out

    def union(self, branches: list[Any], ns: str, where: str) -> list[Any]:
        others = [b for b in branches if b != "null"]
        if len(others) == 1 and len(branches) == 2:
            return [self.type(b, ns, where) for b in branches]  # an optional value
        if [self.branch_name(b, ns) for b in others] == ["long", UINT64_NAME]:
            return [self.type(b, ns, where) for b in branches]  # a uint64: int or bytes
        out: list[Any] = []
        for b in branches:
            if b == "null":
                out.append("null")
                continue
            t = self.type(b, ns, where)
            name = branch_name(branch_key(_type_name(t)))
            if name in self.wrapped:
                out.append(name)
                continue
            self.wrapped.add(name)
            record: dict[str, Any] = {
                "type": "record",
                "name": name,
                "fields": [{"name": "v", "type": t}],
            }
            if isinstance(t, str) and t in _PROMOTED_FROM:
                record["aliases"] = [branch_name(p) for p in _PROMOTED_FROM[t]]
            out.append(record)
        return out


def _type_name(t: Any) -> str:
    """What a (rewritten) branch is called: a primitive, a full name, ``array`` or ``map``."""
    if isinstance(t, str):
        return t
    if t["type"] == "array":
        return "array"
    return str(t["name"])


def _default(original: Any, value: Any) -> Any:
    """A field's default in the rewritten type: a map's becomes its entries, a union's
    first (wrapped) branch's a record."""
    if isinstance(original, dict) and original.get("type") == "map" and isinstance(value, dict):
        return [{"key": k, "value": v} for k, v in value.items()]
    if isinstance(original, list) and original and original[0] != "null":
        optional = len(original) == 2 and "null" in original
        if not optional:
            return {"v": value}  # a wrapped first branch (nested maps in it are not rewritten)
    return value
