"""The floor of a Protobuf decode (issue 16): a generated walk that reads every field, once.

``ratios.py``'s "protobuf decode floor" pair sets ``ProtobufCodec.decode`` beside
``FromString`` followed by the function this module generates for the message type: the
least a decode into Python values must do after upb has parsed. Per message type one
function builds a dict of the fields' values read straight from upb, without converting or
checking anything:

- a scalar or an enum field: its attribute as upb hands it (enum numbers, not names);
- an optional field (oneof members and wrappers too): read only when ``HasField`` says
  it is set, as any decoder that keeps presence must ask;
- a Timestamp or Duration: the pair ``(seconds, nanos)``;
- a sub-message: the walk of its type (recursive types call themselves);
- a repeated field: sliced into a list (items walked when they are messages);
- a map: a dict comprehension over its keys (values walked when they are messages).

So the floor pays for every attribute read and every container built, and for nothing the
codec adds on top (enum names, datetimes, range checks, unknown-field checks): the ratio
ours/floor is the price of those. Like fast_read.py, the source is generated from the
schema model only: field names appear as attributes (plain ASCII identifiers) or as
``repr`` literals, functions get generated names.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from fmtbench.schema.model import EnumRef, FieldType, ListOf, MapOf, MessageRef, Scalar, Schema

Walk = Callable[[Any], dict[str, Any]]
_WELL_KNOWN = frozenset({"timestamp", "duration"})  # scalars that are messages on the wire


def _attr(obj: str, name: str) -> str:
    if name.isascii() and name.isidentifier() and not keyword.iskeyword(name):
        return f"{obj}.{name}"
    return f"getattr({obj}, {name!r})"


class _WalkSource:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.funcs = {name: f"_w{i}" for i, name in enumerate(schema.messages)}
        self.has = {name: f"_h{i}" for i, name in enumerate(schema.messages)}

    def leaf(self, t: FieldType, v: str) -> str:
        if isinstance(t, MessageRef):
            return f"{self.funcs[t.name]}({v})"
        if isinstance(t, Scalar) and t.kind in _WELL_KNOWN:
            return f"(({v}).seconds, ({v}).nanos)"
        assert isinstance(t, Scalar | EnumRef)
        return v

    def value(self, t: FieldType, v: str) -> str:
        if isinstance(t, ListOf):
            item = self.leaf(t.item, "x")
            return f"{v}[:]" if item == "x" else f"[{item} for x in {v}]"
        if isinstance(t, MapOf):
            # As the codec reads maps (fast_read.py): a comprehension over the keys.
            return f"({{k: {self.leaf(t.value, 'w[k]')} for k in w}} if (w := {v}) else {{}})"
        return self.leaf(t, v)

    def function(self, name: str) -> str:
        fields = self.schema.messages[name].fields
        shown = [
            f"{f.name!r}: {self.value(f.type, _attr('m', f.name))}"
            for f in fields
            if not f.optional
        ]
        lines = [f"def {self.funcs[name]}(m):", f"    d = {{{', '.join(shown)}}}"]
        for f in fields:
            if f.optional:
                v = _attr("m", f.name) + (".value" if f.wrapper else "")
                has = self.has[name]
                lines.append(
                    f"    if {has}(m, {f.name!r}): d[{f.name!r}] = {self.value(f.type, v)}"
                )
        lines.append("    return d")
        return "\n".join(lines)


def compile_walk(schema: Schema, root: str, classes: dict[str, type[Any]]) -> Walk:
    """The floor walk of ``root`` messages, ``classes`` being the schema's message classes
    (``compile_classes(schema).classes``): messages parsed by them are what it reads."""
    gen = _WalkSource(schema)
    # HasField taken from each class once, as the codec's walks take it (fast_read.py).
    namespace: dict[str, Any] = {gen.has[n]: classes[n].HasField for n in schema.messages}
    exec("\n\n".join(gen.function(n) for n in schema.messages), namespace)
    return namespace[gen.funcs[root]]  # type: ignore[no-any-return]
