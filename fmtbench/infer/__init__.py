"""Infer a canonical schema from sample data: ``fmtbench schema infer``.

The pipeline: read the sample's records as the codecs would (``read.py``), observe
what every position held across all records (``observe.py``), decide one schema type
per position (``decide.py``), then name the messages and write canonical YAML
(``render.py``). Every rule is chosen so that the sample round-trips: the inferred
schema reads each sample record with the codec of its format and writes the same values
back. Where no schema type can do that (a key that is a string here and a number there),
inference stops with an error naming the key path and the records, rather than guessing.
The rules are listed for users in docs/schema.md, "Inferring a schema".
"""

from __future__ import annotations

import os
import re
from pathlib import PurePath

from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import DecodeError, SchemaError, UsageError
from fmtbench.infer.decide import (
    MAP_MANY_KEYS,
    MAP_VARYING_MAX_SHARE,
    MAP_VARYING_MIN_KEYS,
    Decider,
)
from fmtbench.infer.observe import Observer, fold_recursion
from fmtbench.infer.read import read_records, sample_reader
from fmtbench.infer.render import assign_names, render
from fmtbench.schema.loader import DOTTED, IDENTIFIER, RESERVED_NAMES, parse_schema
from fmtbench.schema.model import Schema

__all__ = [
    "MAP_MANY_KEYS",
    "MAP_VARYING_MAX_SHARE",
    "MAP_VARYING_MIN_KEYS",
    "default_schema_name",
    "infer_format_for_path",
    "infer_schema",
    "infer_schema_text",
    "sample_formats",
]


def sample_formats() -> tuple[str, ...]:
    """The formats a sample can be in: those whose registry entry reads without a schema."""
    return tuple(name for name, f in REGISTRY.items() if not f.needs_schema)


def infer_format_for_path(path: str | os.PathLike[str]) -> str:
    """The sample format a file name implies by its ending (``.json``, ``.jsonl``, ...),
    before a compression's (``.jsonl.gz``)."""
    from fmtbench.compress import without_compression

    suffix = PurePath(without_compression(str(path))).suffix.lower()
    formats = sample_formats()
    for name in formats:
        if suffix in REGISTRY[name].extensions:
            return name
    known = ", ".join(f"{ext} ({name})" for name in formats for ext in REGISTRY[name].extensions)
    raise UsageError(
        f"cannot tell the sample format of {str(path)!r} from its name; "
        f"pass --format (known: {known})"
    )


def default_schema_name(name: str = "Record", source: str | None = None) -> str:
    """``inferred.<file stem>`` (``orders.jsonl`` -> ``inferred.orders``), else ``inferred.<name>``."""
    stem = ""
    if source and source != "-":
        stem = re.sub(r"[^a-z0-9_]+", "_", PurePath(source).stem.lower()).strip("_")
    stem = stem or name.lower()
    return f"inferred.{'_' if stem[0].isdigit() else ''}{stem}"


def infer_schema_text(
    data: bytes,
    fmt: str,
    *,
    name: str = "Record",
    schema_name: str | None = None,
    source: str | None = None,
) -> str:
    """Canonical schema YAML for the records in ``data`` (a sample in format ``fmt``).

    ``name`` names the record type (the root); ``schema_name`` defaults to
    ``default_schema_name(name, source)``; ``source`` is the file the sample came from, named
    in the schema's ``doc`` and in errors (``-`` or None: standard input).
    """
    if fmt not in sample_formats():
        raise UsageError(
            f"cannot infer from format {fmt!r}; choose one of: {', '.join(sample_formats())}"
        )
    if not IDENTIFIER.match(name) or name in RESERVED_NAMES:
        raise UsageError(f"--name {name!r} must be an identifier and not a reserved word")
    if schema_name is None:
        schema_name = default_schema_name(name, source)
    elif not DOTTED.match(schema_name):
        raise UsageError(f"schema name {schema_name!r} must be a dotted name like 'shop.order'")
    origin = source if source and source != "-" else None
    label = origin or f"{REGISTRY[fmt].title} input"  # errors name the path as given

    try:
        observer = _observe(data, fmt, exact_ints=False)
        if observer.saw_big_float:  # maybe an integer beyond 64 bits: look at it exactly
            observer = _observe(data, fmt, exact_ints=True)
        if observer.records == 0 or observer.root.obj is None:
            raise SchemaError("the sample holds no records to infer from")
        fold_recursion(observer.root)
        root = Decider(sample_reader(fmt).text_leaves, label).message(
            observer.root.obj, (), name, None
        )
    except DecodeError as exc:
        raise exc.located(file=origin) from None
    except SchemaError as exc:
        text = str(exc)
        raise SchemaError(text if text.startswith(f"{label}: ") else f"{label}: {text}") from None
    except RecursionError:
        raise SchemaError(f"{label}: the sample nests too deeply to infer a schema") from None

    order = assign_names(root, name)
    count = observer.records
    # The doc travels into every exported artifact: the file's name, not a local path.
    about = PurePath(origin).name if origin else label
    doc = (
        f"Inferred from {count} record{'' if count == 1 else 's'} of {about}; review it before "
        "use: types, optional fields and maps are guesses from the sample."
    )
    text = render(schema_name, root, order, doc)
    parse_schema(text, "<inferred schema>")  # the proof it loads; failing here is our bug
    return text


def infer_schema(
    data: bytes,
    fmt: str,
    *,
    name: str = "Record",
    schema_name: str | None = None,
    source: str | None = None,
) -> Schema:
    """The inferred schema as a model (the text of ``infer_schema_text``, loaded)."""
    text = infer_schema_text(data, fmt, name=name, schema_name=schema_name, source=source)
    return parse_schema(text, "<inferred schema>")


def _observe(data: bytes, fmt: str, *, exact_ints: bool) -> Observer:
    observer = Observer(sample_reader(fmt).text_leaves)
    for tree in read_records(data, fmt, exact_ints=exact_ints):
        observer.record(tree)
    return observer
