"""The schemas that ship inside the package, and resolving a --schema argument."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fmtbench.errors import SchemaError
from fmtbench.schema.loader import load_schema, parse_schema
from fmtbench.schema.model import Schema


def builtin_names() -> list[str]:
    folder = resources.files("fmtbench") / "schemas"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("fmtbench") / "schemas" / f"{name}.yaml"))


def resolve_schema(ref: str) -> Schema:
    """A schema file path, or the name of a built-in schema (``order``, ``sensor``...)."""
    path = Path(ref)
    if path.is_file():
        return load_schema(path)
    if path.suffix == "" and ref in builtin_names():
        res = resources.files("fmtbench") / "schemas" / f"{ref}.yaml"
        return parse_schema(res.read_text(encoding="utf-8"), f"{ref} (built-in)")
    names = ", ".join(builtin_names())
    raise SchemaError(f"{ref}: no such schema file, and not a built-in schema (built-in: {names})")
