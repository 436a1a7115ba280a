"""fmtbench: one canonical schema, compiled to Protobuf, JSON, XML and MessagePack codecs.

The public API, re-exported from the modules that implement it::

    schema = fmtbench.resolve_schema("order")       # a built-in name or a YAML path
    codec = fmtbench.codec_for("protobuf", schema)   # compiled once; reuse it
    assert codec.decode(codec.encode(record)) == record
"""

__version__ = "0.1.0"

from fmtbench.codecs import FORMATS, Codec, codec_for, format_for_path
from fmtbench.codecs.values.canonical import validate
from fmtbench.convert import convert
from fmtbench.errors import (
    DecodeError,
    EncodeError,
    FileError,
    FmtbenchError,
    LimitError,
    RecordError,
    SchemaError,
    UsageError,
)
from fmtbench.limits import Limits
from fmtbench.schema import Schema, load_schema, parse_schema
from fmtbench.schema.builtin import resolve_schema
from fmtbench.values import Duration, Timestamp

__all__ = [
    "FORMATS",
    "Codec",
    "DecodeError",
    "Duration",
    "EncodeError",
    "FileError",
    "FmtbenchError",
    "LimitError",
    "Limits",
    "RecordError",
    "Schema",
    "SchemaError",
    "Timestamp",
    "UsageError",
    "__version__",
    "codec_for",
    "convert",
    "format_for_path",
    "load_schema",
    "parse_schema",
    "resolve_schema",
    "validate",
]
