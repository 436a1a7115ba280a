"""Codecs: one module per wire format, all behind the ``Codec`` interface in ``base.py``.

``FORMATS`` maps each format name used on the command line to its codec class.
"""

from __future__ import annotations

from pathlib import PurePath

from fmtbench.codecs.base import Codec, Record, RecordReader, RecordWriter
from fmtbench.codecs.json import JsonCodec, JsonLinesCodec
from fmtbench.codecs.msgpack import MsgpackCodec
from fmtbench.codecs.protobuf import ProtobufCodec, ProtobufDelimitedCodec
from fmtbench.codecs.xml import XmlCodec
from fmtbench.errors import UsageError
from fmtbench.limits import DEFAULT_LIMITS, Limits
from fmtbench.schema.model import Schema

FORMATS: dict[str, type[Codec]] = {
    c.name: c
    for c in (
        ProtobufCodec,
        ProtobufDelimitedCodec,
        JsonCodec,
        JsonLinesCodec,
        XmlCodec,
        MsgpackCodec,
    )
}


def format_for_path(path: str) -> str:
    """The format a file name implies by its ending; an error names the endings we know."""
    suffix = PurePath(path).suffix.lower()
    for name, codec in FORMATS.items():
        if suffix in codec.extensions:
            return name
    known = ", ".join(f"{ext} ({name})" for name, c in FORMATS.items() for ext in c.extensions)
    raise UsageError(
        f"cannot tell the format of {path!r} from its name; pass --from/--to (known: {known})"
    )


def codec_for(
    fmt: str,
    schema: Schema,
    type_name: str | None = None,
    *,
    drop_unknown: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Codec:
    try:
        cls = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    return cls(schema, type_name, drop_unknown=drop_unknown, limits=limits)


__all__ = [
    "FORMATS",
    "Codec",
    "Record",
    "RecordReader",
    "RecordWriter",
    "codec_for",
    "format_for_path",
]
