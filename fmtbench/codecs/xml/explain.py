"""How ``explain`` measures XML (docs/explain.md): the payload of a value is the writer's
own lexical form (attribute text for attributes and map keys); names, brackets and the
rest are overhead."""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.format import ExplainRules
from fmtbench.codecs.xml.write import lex_of
from fmtbench.schema.model import EnumRef, Field, FieldType, ListOf, MapOf, MessageRef, Scalar


def _text(t: FieldType, v: Any, attr: bool = False) -> int:
    if isinstance(t, Scalar):
        return len(lex_of(t, attr)(v).encode())
    assert isinstance(t, EnumRef), t  # names are identifiers: nothing to escape
    return len(v.encode())


def payload(f: Field, value: Any, alone: bytes) -> int:
    t = f.type
    skip = isinstance(t, MapOf) and isinstance(t.value, MessageRef)
    if isinstance(t, ListOf):
        return sum(_text(t.item, x) for x in value)
    if isinstance(t, MapOf):
        keys = sum(_text(t.key, k, attr=True) for k in value)
        return keys + (0 if skip else sum(_text(t.value, x) for x in value.values()))
    return _text(t, value, attr=f.xml_attribute)


RULES = ExplainRules(
    payload,
    {
        "bytes": "base64 (4 characters for every 3 bytes)",
        "timestamp": "RFC 3339 text (20-30 characters)",
        "duration": "xs:duration text (PT1.5S: 4-26 characters)",
        "float64": "shortest round-trip decimal text",
        "float32": "the float32 widened to its shortest decimal text",
        "int": "decimal digits",
        "enum": "the value's name",
    },
)
