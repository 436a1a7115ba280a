"""The schemas that ship inside the package, and resolving a --schema argument."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from fmtbench.errors import SchemaError, UsageError
from fmtbench.schema.loader import load_schema, parse_schema
from fmtbench.schema.model import Schema
from fmtbench.text import did_you_mean


def builtin_names() -> list[str]:
    folder = resources.files("fmtbench") / "schemas"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("fmtbench") / "schemas" / f"{name}.yaml"))


#: Separates the parts of a ``.proto`` reference (see ``schema_ref``): no path holds a NUL.
_SEP = "\0"


def is_proto(ref: str) -> bool:
    return ref.endswith(".proto") or _SEP in ref


def schema_ref(ref: str, proto_path: Sequence[str] = (), type_name: str | None = None) -> str:
    """One string for ``--schema FILE.proto -I DIR... --type T``, which every command passes
    down as it passes a YAML path, to worker processes too; other references are unchanged.
    The type is part of a .proto reference: the import holds that type and what it reaches."""
    if not is_proto(ref):
        return ref
    parts = [ref, *(f"-I{d}" for d in proto_path)]
    if type_name is not None:
        parts.append(f"-T{type_name}")
    return _SEP.join(parts) if len(parts) > 1 else ref


def schema_file(ref: str) -> str:
    """The file of a reference (``schema_ref``), for messages and overwrite checks."""
    return ref.split(_SEP, 1)[0]


@functools.lru_cache(maxsize=8)
def _import(ref: str) -> Schema:
    from fmtbench.schema.protofile import import_proto

    path, *rest = ref.split(_SEP)
    dirs = [r[2:] for r in rest if r.startswith("-I")]
    types = [r[2:] for r in rest if r.startswith("-T")]
    return import_proto(path, dirs, types[0] if types else None)


@functools.lru_cache(maxsize=8)
def _import_avsc(ref: str) -> Schema:
    from fmtbench.schema.avscfile import import_avsc

    return import_avsc(ref)


@functools.lru_cache(maxsize=8)
def _import_from_file(ref: str, fmt: str) -> Schema:
    """The schema a file carries (an Avro container's header: ``Format.schema_in_file``)."""
    from fmtbench.codecs.registry import REGISTRY

    try:
        with open(ref, "rb") as f:
            return REGISTRY[fmt].file_schema(f, ref)
    except OSError as exc:
        raise SchemaError(f"{ref}: cannot read it: {exc}") from None


def carried_schema_format(ref: str) -> str | None:
    """The format of a file that carries its own schema (by its name), else None."""
    from fmtbench.codecs.registry import REGISTRY

    if Path(ref).suffix.lower() in (".yaml", ".yml"):
        return None  # a schema file: no format, and no need to look at plugins
    try:
        fmt = REGISTRY.for_path(ref)
    except UsageError:
        return None
    return fmt if REGISTRY[fmt].schema_in_file is not None else None


def resolve_schema(ref: str) -> Schema:
    """A schema file path, or the name of a built-in schema (``order``, ``sensor``...), or a
    ``.proto`` file imported with ``schema_ref``'s include folders and type, or an Avro
    ``.avsc`` file (imported: docs/schema.md, "Importing .avsc files")."""
    if is_proto(ref):
        return _import(ref)
    path = Path(ref)
    if ref.endswith(".avsc") and path.is_file():
        return _import_avsc(ref)
    if path.is_file() and (fmt := carried_schema_format(ref)) is not None:
        return _import_from_file(ref, fmt)
    if path.is_file():
        return load_schema(path)
    if path.suffix == "" and ref in builtin_names():
        res = resources.files("fmtbench") / "schemas" / f"{ref}.yaml"
        return parse_schema(res.read_text(encoding="utf-8"), f"{ref} (built-in)")
    names = ", ".join(builtin_names())
    hint = did_you_mean(ref, builtin_names())
    raise SchemaError(
        f"{ref}: no such schema file, and not a built-in schema (built-in: {names}){hint}"
    )
