"""Codecs: one package per wire format, all behind the ``Codec`` interface in ``base.py``.

What a format is (its names, endings, forms, library, bench and explain adapters, schema
export) is declared once, in its package's ``Format`` entries (``format.py``), and found
through the registry (``registry.py``), which plugins extend. ``FORMATS`` is that registry:
format name -> ``Format``, in report order.

Layout: ``protobuf/``, ``json/``, ``xml/``, ``msgpack/`` hold one format each; ``values/``
(canonical leaves, the record check, tree converters) and ``structs/`` (the schema as
msgspec Structs) hold what several formats share.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from fmtbench.codecs.base import Codec, Record, RecordReader, RecordWriter
from fmtbench.codecs.format import Format
from fmtbench.codecs.registry import REGISTRY, FormatPluginWarning
from fmtbench.errors import SchemaError, UsageError
from fmtbench.limits import DEFAULT_LIMITS, Limits
from fmtbench.schema.model import Schema

FORMATS = REGISTRY


def format_for_path(path: str) -> str:
    """The format a file name implies by its ending; an error names the endings we know."""
    return REGISTRY.for_path(path)


def codec_for(
    fmt: str,
    schema: Schema,
    type_name: str | None = None,
    *,
    drop_unknown: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    options: Mapping[str, Any] | None = None,
) -> Codec:
    """A codec of format ``fmt`` for one record type of ``schema``, compiled once;
    ``options``: keyword options the format declares (``Format.options``)."""
    entry = REGISTRY.get_format(fmt)
    for name in options or {}:
        if name not in entry.options:
            takers = ", ".join(f.name for f in REGISTRY.values() if name in f.options)
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} does not apply to {fmt} output (only to: {takers or 'none'})")
    if hint := entry.missing():
        raise UsageError(hint)
    cls = entry.codec_class()
    # Compiling walks the schema's message types recursively, about ten frames a level in
    # msgspec's type handling: a schema nested 100 levels (the depth limit) needs more than
    # Python's default 1000 frames once a caller's own frames are counted.
    stack = sys.getrecursionlimit()
    sys.setrecursionlimit(max(stack, _COMPILE_FRAMES))
    try:
        return cls(schema, type_name, drop_unknown=drop_unknown, limits=limits, **(options or {}))
    except RecursionError:
        # Compiling walks the schema; a chain of thousands of nested message types goes
        # past Python's stack in the libraries that compile it (msgspec, upb).
        raise SchemaError(
            f"schema {schema.name}: its messages nest too deeply to compile for {fmt}"
        ) from None
    finally:
        sys.setrecursionlimit(stack)


def render_export(fmt: Format, schema: Schema, type_name: str | None = None) -> str:
    """The schema artifact of a format (``schema export --to``), compiled with the room a
    codec gets: a chain of nested message types too deep for it is one SchemaError."""
    assert fmt.export is not None
    from fmtbench.codecs.format import resolve

    render = resolve(fmt.export.render)
    stack = sys.getrecursionlimit()
    sys.setrecursionlimit(max(stack, _COMPILE_FRAMES))
    try:
        return render(schema, type_name)
    except RecursionError:
        raise SchemaError(
            f"schema {schema.name}: its messages nest too deeply to write a"
            f" {fmt.export.target} schema"
        ) from None
    finally:
        sys.setrecursionlimit(stack)


#: Frames allowed while a codec compiles: room for about 300 nested message types, well
#: short of what would overflow the C stack.
_COMPILE_FRAMES = 4000


__all__ = [
    "FORMATS",
    "Codec",
    "Format",
    "FormatPluginWarning",
    "Record",
    "RecordReader",
    "RecordWriter",
    "codec_for",
    "format_for_path",
    "render_export",
]
