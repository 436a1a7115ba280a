"""The results of a benchmark run as immutable records, and their versioned JSON file.

The layout is docs/results.md, field for field. ``save`` writes it atomically; ``load``
refuses a file whose ``kind`` or ``version`` it does not know and ignores fields it does not
know (adding a field does not change the version, so a newer writer's extras are harmless).
Views read the file through ``fmtbench.bench.view``; this module is the writer's side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import orjson

from fmtbench.errors import FileError, FmtbenchError
from fmtbench.files import atomic_output, open_input
from fmtbench.text import plain_text

KIND = "fmtbench-results"
# The layout's history. Change the number when a field changes meaning or disappears,
# never for an added field, and keep readers of the old numbers where that is cheap.
#   1: first layout (docs/results.md): environment, settings, datasets, cells with size,
#      compressed sizes, four timings and the batch decode memory peak.
#      Later additions, optional so older files still read: environment.busy.
VERSION = 1

TIMING_NAMES = ("message_encode", "message_decode", "batch_encode", "batch_decode")

#: What a cell timed: fmtbench's codec, the format's library alone, or another library.
Step = Literal["full", "native", "library"]
Status = Literal["ok", "failed"]


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
    step: Step  # "library": bench --libraries
    status: Status
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
    #: Why the machine looked busy during the run (load, frequency scaling), or nothing.
    busy: tuple[str, ...] = ()


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
        "environment": {
            **vars(r.environment),
            "libraries": dict(r.environment.libraries),
            "busy": list(r.environment.busy),
        },
        "settings": settings_dict(r.settings),
        "datasets": [vars(d).copy() for d in r.datasets],
        "cells": [cell_dict(c) for c in r.cells],
    }


def to_json(r: Results) -> bytes:
    # orjson writes floats in their shortest exact form: a saved file loads back equal.
    return orjson.dumps(_loadable(to_dict(r)), option=orjson.OPT_INDENT_2) + b"\n"


def _loadable(value: Any) -> Any:
    """``value`` with control characters in its text spelled out (``\\x1b``), as the loader
    requires (``_check_values``): a file name or a library's error may hold any character,
    and a results file that ``report`` then refuses would be written in vain."""
    if isinstance(value, str):
        return plain_text(value, keep="\t\n") if _CONTROL.search(value) else value
    if isinstance(value, dict):
        return {_loadable(k): _loadable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loadable(v) for v in value]
    return value


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
    fields = {k: v for k, v in raw.items() if k not in ("kind", "version")}
    try:
        # Types checked field by field in C against the dataclasses themselves; unknown
        # fields (a later minor addition) are ignored, as before.
        results = msgspec.convert(fields, type=Results, strict=True)
    except msgspec.ValidationError as exc:
        raise ResultsError(f"{source}: malformed results file: {_where(exc)}") from None
    _check_values(results, source)
    return results


def _where(exc: msgspec.ValidationError) -> str:
    """msgspec's "Expected `float`, got `str` - at `$.cells[3]...`" as fmtbench says it."""
    text = str(exc)
    problem, _, path = text.partition(" - at `$")
    path = path.rstrip("`").lstrip(".") or "the top level"
    return f"{path}: {problem.replace('`', '')}"


#: Characters no name or text in a results file has: a terminal would run them as escapes
#: (an error message may hold a tab or a line break, which every report escapes).
_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")


def _check_values(results: Results, source: str) -> None:
    """What types cannot say: timings positive and finite, counts not negative, text
    without control characters (a report prints it to a terminal), and each dataset and
    cell once, every cell under a dataset of the file (reports show cells by dataset: any
    other would be left out, or shown twice, without a word)."""

    def bad(where: str, problem: str) -> ResultsError:
        return ResultsError(f"{source}: malformed results file: {where}: {problem}")

    def text(where: str, value: str | None) -> None:
        if value is not None and _CONTROL.search(value):
            raise bad(where, "control characters in text")

    datasets: set[str] = set()
    for i, d in enumerate(results.datasets):
        for name in ("name", "schema", "type", "source"):
            text(f"datasets[{i}].{name}", getattr(d, name))
        if d.records < 0:
            raise bad(f"datasets[{i}].records", "negative")
        if d.name in datasets:
            raise bad(f"datasets[{i}].name", f"a second dataset named {d.name!r}")
        datasets.add(d.name)
    cells: set[tuple[str, str, str, str]] = set()
    for i, c in enumerate(results.cells):
        for name in ("dataset", "format", "implementation", "step", "status", "error"):
            text(f"cells[{i}].{name}", getattr(c, name))
        if c.dataset not in datasets:
            raise bad(f"cells[{i}].dataset", f"{c.dataset!r} is not one of the file's datasets")
        key = (c.dataset, c.format, c.implementation, c.step)
        if key in cells:
            raise bad(f"cells[{i}]", f"a second cell for {' '.join(key[:3])} [{c.step}]")
        cells.add(key)
        for name, t in c.timings.items():
            text(f"cells[{i}].timings", name)
            for figure in ("median", "iqr", "mad"):
                value = getattr(t, figure)
                if not math.isfinite(value) or value < 0 or (figure == "median" and value == 0):
                    raise bad(f"cells[{i}].timings.{name}.{figure}", f"{value!r} is not a time")
            if not all(math.isfinite(x) and x > 0 for x in t.seconds) or t.loops < 1:
                raise bad(f"cells[{i}].timings.{name}", "samples are not positive times")
        if c.size is not None:
            if c.size.bytes < 0 or c.size.records < 1:
                raise bad(f"cells[{i}].size", "a size has bytes >= 0 and records >= 1")
            for name, z in c.size.compressed.items():
                text(f"cells[{i}].size.compressed", name)
                if z.bytes < 0 or not all(
                    math.isfinite(v) and v > 0
                    for v in (z.ratio, z.compress_mb_s, z.decompress_mb_s)
                ):
                    raise bad(f"cells[{i}].size.compressed.{name}", "not a measured size")
    env = results.environment
    for name in ("fmtbench", "python", "implementation", "os", "cpu", "protobuf_backend"):
        text(f"environment.{name}", getattr(env, name))
    for i, why in enumerate(env.busy):
        text(f"environment.busy[{i}]", why)
    for k, v in env.libraries.items():
        text("environment.libraries", k)
        text(f"environment.libraries.{k}", v)
    for i, arg in enumerate(results.command):
        text(f"command[{i}]", arg)
    text("created", results.created)


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
