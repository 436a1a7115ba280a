"""The results of a benchmark run as immutable records, and their versioned JSON file.

The layout is docs/results.md, field for field. ``save`` writes it atomically; ``load``
refuses a file whose ``kind`` or ``version`` it does not know and ignores fields it does not
know (adding a field does not change the version, so a newer writer's extras are harmless).
Views read the file through ``fmtbench.bench.view``; this module is the writer's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from fmtbench.errors import FileError, FmtbenchError
from fmtbench.files import atomic_output, open_input

KIND = "fmtbench-results"
# The layout's history. Change the number when a field changes meaning or disappears,
# never for an added field, and keep readers of the old numbers where that is cheap.
#   1: first layout (docs/results.md): environment, settings, datasets, cells with size,
#      compressed sizes, four timings and the batch decode memory peak.
VERSION = 1

TIMING_NAMES = ("message_encode", "message_decode", "batch_encode", "batch_decode")


class ResultsError(FmtbenchError):
    """A results file is not one this fmtbench can read."""


@dataclass(frozen=True)
class Timing:
    per: str  # "record" (message modes) or "batch" (batch modes)
    seconds: tuple[float, ...]  # every kept sample, in seconds per ``per``
    loops: int
    median: float
    iqr: float
    mad: float
    unstable: bool


@dataclass(frozen=True)
class Compressed:
    level: int
    bytes: int
    ratio: float
    compress_mb_s: float
    decompress_mb_s: float


@dataclass(frozen=True)
class Size:
    bytes: int
    records: int
    bytes_per_record: float
    compressed: Mapping[str, Compressed] = field(default_factory=dict)


@dataclass(frozen=True)
class Memory:
    batch_decode_peak_bytes: int


@dataclass(frozen=True)
class Cell:
    dataset: str
    format: str
    implementation: str
    step: str  # "full" or "native"
    status: str  # "ok" or "failed"
    error: str | None = None
    size: Size | None = None
    timings: Mapping[str, Timing] = field(default_factory=dict)
    memory: Memory | None = None


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    schema: str
    type: str
    records: int
    seed: int | None  # None for records read from a file
    source: str  # "built-in", or the profile or input file


@dataclass(frozen=True)
class Environment:
    fmtbench: str
    python: str
    implementation: str
    os: str
    cpu: str
    cores: int
    protobuf_backend: str
    libraries: Mapping[str, str]


@dataclass(frozen=True)
class Settings:
    modes: tuple[str, ...]
    quick: bool
    isolate: bool
    min_sample_seconds: float
    samples: int
    warmups: int
    unstable_spread: float


@dataclass(frozen=True)
class Results:
    created: str
    command: tuple[str, ...]
    environment: Environment
    settings: Settings
    datasets: tuple[DatasetInfo, ...]
    cells: tuple[Cell, ...]


# -- to JSON -------------------------------------------------------------------------------
def timing_dict(t: Timing) -> dict[str, Any]:
    return {
        "per": t.per,
        "seconds": list(t.seconds),
        "loops": t.loops,
        "median": t.median,
        "iqr": t.iqr,
        "mad": t.mad,
        "unstable": t.unstable,
    }


def cell_dict(c: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dataset": c.dataset,
        "format": c.format,
        "implementation": c.implementation,
        "step": c.step,
        "status": c.status,
        "error": c.error,
    }
    if c.size is not None:
        out["size"] = {
            "bytes": c.size.bytes,
            "records": c.size.records,
            "bytes_per_record": c.size.bytes_per_record,
            "compressed": {name: vars(z).copy() for name, z in c.size.compressed.items()},
        }
    out["timings"] = {name: timing_dict(t) for name, t in c.timings.items()}
    if c.memory is not None:
        out["memory"] = {"batch_decode_peak_bytes": c.memory.batch_decode_peak_bytes}
    return out


def settings_dict(s: Settings) -> dict[str, Any]:
    return {**vars(s), "modes": list(s.modes)}


def to_dict(r: Results) -> dict[str, Any]:
    """The results as plain JSON values, in the order of docs/results.md."""
    return {
        "kind": KIND,
        "version": VERSION,
        "created": r.created,
        "command": list(r.command),
        "environment": {**vars(r.environment), "libraries": dict(r.environment.libraries)},
        "settings": settings_dict(r.settings),
        "datasets": [vars(d).copy() for d in r.datasets],
        "cells": [cell_dict(c) for c in r.cells],
    }


def to_json(r: Results) -> bytes:
    # orjson writes floats in their shortest exact form: a saved file loads back equal.
    return orjson.dumps(to_dict(r), option=orjson.OPT_INDENT_2) + b"\n"


# -- from JSON -----------------------------------------------------------------------------
def _pick(cls: type[Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``cls`` present in ``raw``; fields added by a newer writer are ignored."""
    names = cls.__dataclass_fields__
    return {k: v for k, v in raw.items() if k in names}


def timing_from(raw: Mapping[str, Any]) -> Timing:
    fields = _pick(Timing, raw)
    fields["seconds"] = tuple(float(s) for s in raw["seconds"])
    return Timing(**fields)


def cell_from(raw: Mapping[str, Any]) -> Cell:
    fields = _pick(Cell, raw)
    size = raw.get("size")
    if size is not None:
        compressed = {n: Compressed(**_pick(Compressed, z)) for n, z in size["compressed"].items()}
        fields["size"] = Size(**{**_pick(Size, size), "compressed": compressed})
    fields["timings"] = {n: timing_from(t) for n, t in (raw.get("timings") or {}).items()}
    memory = raw.get("memory")
    if memory is not None:
        fields["memory"] = Memory(**_pick(Memory, memory))
    return Cell(**fields)


def from_dict(raw: Any, source: str = "results") -> Results:
    if not isinstance(raw, dict) or raw.get("kind") != KIND:
        raise ResultsError(
            f'{source}: not a fmtbench results file (no "kind": {KIND!r}); '
            "write one with 'fmtbench bench --json FILE'"
        )
    version = raw.get("version")
    if type(version) is not int or version != VERSION:  # type() too: JSON true == 1
        raise ResultsError(
            f"{source}: results layout version {version!r} is not one this fmtbench "
            f"reads ({VERSION}); use the fmtbench that wrote it, or re-run the benchmark"
        )
    try:
        env = raw["environment"]
        settings = raw["settings"]
        return Results(
            created=raw["created"],
            command=tuple(raw["command"]),
            environment=Environment(
                **{**_pick(Environment, env), "libraries": dict(env["libraries"])}
            ),
            settings=Settings(**{**_pick(Settings, settings), "modes": tuple(settings["modes"])}),
            datasets=tuple(DatasetInfo(**_pick(DatasetInfo, d)) for d in raw["datasets"]),
            cells=tuple(cell_from(c) for c in raw["cells"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ResultsError(f"{source}: malformed results file: {what}") from None


def from_json(data: bytes | str, source: str = "results") -> Results:
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ResultsError(f"{source}: not JSON: {exc}") from None
    return from_dict(raw, source)


def save(results: Results, path: str) -> None:
    """Write the results file atomically: it appears whole or not at all."""
    data = to_json(results)
    with atomic_output(path) as out:
        out.write(data)


def load(path: str) -> Results:
    with open_input(path) as f:
        try:
            data = f.read()
        except OSError as exc:
            raise FileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return from_json(data, path)
