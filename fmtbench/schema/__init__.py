"""The canonical schema: model, loader, built-in schemas, and one compiler per target."""

from fmtbench.schema.loader import load_schema, parse_schema
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Oneof,
    Scalar,
    Schema,
)

__all__ = [
    "Enum",
    "EnumRef",
    "Field",
    "FieldType",
    "ListOf",
    "MapOf",
    "Message",
    "MessageRef",
    "Oneof",
    "Scalar",
    "Schema",
    "load_schema",
    "parse_schema",
]
