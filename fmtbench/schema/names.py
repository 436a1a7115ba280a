"""How protoc spells names derived from a field's name; the loader, the Protobuf compiler
and schema inference all need the same answer, so it is computed here once."""

from __future__ import annotations


def _camel(field_name: str, *, upper_first: bool) -> str:
    """Drop each '_' and upper-case the character after it (protoc's ToCamelCase)."""
    out: list[str] = []
    upper_next = upper_first
    for ch in field_name:
        if ch == "_":
            upper_next = True
        elif upper_next:
            out.append(ch.upper())
            upper_next = False
        else:
            out.append(ch)
    return "".join(out)


def json_name(field_name: str) -> str:
    """protoc's default JSON name (ToJsonName): ``foo_bar`` -> ``fooBar``. Two fields with the
    same one do not compile."""
    return _camel(field_name, upper_first=False)


def map_entry_name(field_name: str) -> str:
    """protoc's name for a map field's entry message (MapEntryName): ``labels`` -> ``LabelsEntry``."""
    return _camel(field_name, upper_first=True) + "Entry"
