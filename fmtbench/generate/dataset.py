"""Dataset profiles: a schema, a record type and hints under a name (``fmtbench/datasets/``).

A profile is a small YAML file (docs/datasets.md)::

    dataset: log
    schema: log                 # built-in schema name, or a path relative to this file
    type: AccessEvent           # optional: the schema's root
    description: Web server access log events
    stresses: many small, string-heavy records
    records: 10000              # default record count
    seed: 1
    max_depth: 3
    hints:
      AccessEvent.path: {kind: path, vocab: 400, zipf: 1.2}

Loading one builds its generator once, so a bad hint is reported when the profile is
loaded, naming the profile and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from fmtbench.errors import SchemaError, UsageError
from fmtbench.generate.generator import RecordGenerator
from fmtbench.schema.builtin import builtin_names
from fmtbench.schema.loader import YAML_LOADER, load_schema, over_expanded, parse_schema
from fmtbench.schema.model import Schema

PROFILE_KEYS = (
    "dataset", "schema", "type", "description", "stresses", "records", "seed", "max_depth",
    "hints",
)  # fmt: skip
DEFAULT_RECORDS = 1000


class DatasetError(SchemaError):
    """A dataset profile is missing, malformed, or names something that does not exist."""


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: Schema
    type_name: str
    hints: Mapping[str, Mapping[str, Any]]
    description: str
    stresses: str
    records: int
    seed: int
    max_depth: int
    source: str = field(default="", compare=False)

    def generator(self, seed: int | None = None, type_name: str | None = None) -> RecordGenerator:
        """The generator of this dataset (with its own seed unless another is given)."""
        return RecordGenerator(
            self.schema,
            type_name or self.type_name,
            hints=self.hints,
            seed=self.seed if seed is None else seed,
            max_depth=self.max_depth,
        )


def datasets_folder() -> Traversable:
    return resources.files("fmtbench") / "datasets"


def builtin_datasets() -> list[str]:
    """The names of the built-in datasets, sorted."""
    folder = datasets_folder()
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_dataset(name_or_path: str | Path) -> Dataset:
    """A profile file, or the name of a built-in dataset (``fmtbench datasets`` lists them)."""
    ref = str(name_or_path)
    path = Path(ref)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DatasetError(f"{path}: cannot read dataset profile: {exc}") from None
        return parse_dataset(text, ref, base=path.parent)
    names = builtin_datasets()
    if path.suffix == "" and ref in names:
        folder = datasets_folder()
        text = (folder / f"{ref}.yaml").read_text(encoding="utf-8")
        return parse_dataset(text, f"{ref} (built-in dataset)", base=folder)
    close = difflib.get_close_matches(ref, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise DatasetError(
        f"{ref}: no such dataset profile, and not a built-in dataset; "
        f"{hint}(built-in: {', '.join(names) or 'none'})"
    )


def parse_dataset(text: str, source: str, *, base: Path | Traversable) -> Dataset:
    """A profile from its text; ``base`` is the folder a relative schema path starts from."""

    def fail(problem: str) -> DatasetError:
        return DatasetError(f"{source}: {problem}")

    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
        if node is not None and (found := over_expanded(node, len(text))) is not None:
            raise fail(found[1])
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise fail("a dataset profile is a mapping with at least 'dataset' and 'schema'")
    for key in raw:
        if key not in PROFILE_KEYS:
            close = difflib.get_close_matches(str(key), PROFILE_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise fail(f"unknown key {key!r}{hint} (keys: {', '.join(PROFILE_KEYS)})")
    for key in ("dataset", "schema"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise fail(f"'{key}' must be given as a non-empty string")
    for key in ("type", "description", "stresses"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(f"'{key}' must be a string, got {raw[key]!r}")
    numbers = {"records": DEFAULT_RECORDS, "seed": 0, "max_depth": 3}
    for key, default in numbers.items():
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or (key != "seed" and value < 0):
            raise fail(f"'{key}' must be a whole number{'' if key == 'seed' else ' >= 0'}")
        numbers[key] = value
    hints = raw.get("hints") or {}
    if not isinstance(hints, dict):
        raise fail("'hints' must be a mapping of Message.field: {hint: value, ...}")
    schema = _schema(raw["schema"], base, fail)
    try:
        type_name = schema.message(raw.get("type")).name
        dataset = Dataset(
            name=raw["dataset"],
            schema=schema,
            type_name=type_name,
            hints=hints,
            description=raw.get("description", ""),
            stresses=raw.get("stresses", ""),
            records=numbers["records"],
            seed=numbers["seed"],
            max_depth=numbers["max_depth"],
            source=source,
        )
        dataset.generator()  # compiles every hint: a mistake shows now, not mid-run
    except (SchemaError, UsageError) as exc:  # a bad hint, an unknown type
        raise fail(str(exc)) from None
    return dataset


def _schema(ref: str, base: Path | Traversable, fail: Callable[[str], DatasetError]) -> Schema:
    """A path relative to the profile first; otherwise a built-in schema name."""
    candidate = base / ref
    if candidate.is_file():
        if isinstance(candidate, Path):
            return load_schema(candidate)
        return parse_schema(candidate.read_text(encoding="utf-8"), f"{ref} (built-in)")
    if ref in builtin_names():
        text = (resources.files("fmtbench") / "schemas" / f"{ref}.yaml").read_text("utf-8")
        return parse_schema(text, f"{ref} (built-in)")
    raise fail(
        f"schema {ref!r} is neither a file beside the profile nor a built-in schema "
        f"(built-in: {', '.join(builtin_names())})"
    )
