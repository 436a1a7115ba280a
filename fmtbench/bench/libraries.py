"""Library cells of ``fmtbench bench --libraries``: other implementations of a format, each
timed beside the format's own cells (docs/methodology.md, "Library cells" and "Ranking
libraries").

Which libraries run (``choose``): every library of the measured formats, or the ones named;
a library whose module is not installed gets no cell, only a note naming the extra. A cell
(``plan``) starts from the ``LibraryStep`` its adapter builds from the format's message
codec, must agree with that codec on every record (``codecs/agreement.py``) before anything
is timed, and then times message encode and decode, sampled with the dataset's other cells.
A library that needs environment variables of its own (protobuf's pure-Python backend is
chosen per process) is measured in a worker process started with them (``worker.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from fmtbench.codecs.agreement import disagreement
from fmtbench.codecs.base import Codec
from fmtbench.codecs.format import Library, resolve
from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import UsageError
from fmtbench.text import did_you_mean

if TYPE_CHECKING:
    from fmtbench.bench.results import Cell
    from fmtbench.bench.runner import Loaded, Measured, Sampler

#: The ``step`` of a library cell in the results file.
STEP: Final = "library"


@dataclass(frozen=True)
class Chosen:
    """The libraries a run measures, per format, and a note for each one left out."""

    libraries: Mapping[str, tuple[Library, ...]]
    notes: tuple[str, ...] = ()

    def of(self, fmt: str) -> tuple[Library, ...]:
        return self.libraries.get(fmt, ())


NONE = Chosen({})


def choose(formats: Sequence[str], names: Sequence[str] | None) -> Chosen:
    """Every library of ``formats`` (``names`` None), or those named (a name may be the
    library of several formats: each gets its cell). An unknown name is a usage error with
    the closest known one; a library not installed is left out with a note."""
    declared = {f: REGISTRY[f].libraries for f in formats}
    known = list(dict.fromkeys(lib.name for libs in declared.values() for lib in libs))
    if names is not None:
        if not names:
            raise UsageError("--library needs a library name")
        for name in names:
            if name in known:
                continue
            elsewhere = [f for f, e in REGISTRY.items() if any(x.name == name for x in e.libraries)]
            if elsewhere:
                raise UsageError(
                    f"library {name!r} implements {', '.join(elsewhere)}, which this run does "
                    f"not measure: add it to --formats"
                )
            choices = ", ".join(known) or "none: no measured format declares one"
            hint = did_you_mean(name, known)
            raise UsageError(f"unknown library {name!r}; choose from {choices}{hint}")
    picked: dict[str, tuple[Library, ...]] = {}
    notes: dict[str, None] = {}
    for fmt, libs in declared.items():
        keep = []
        for lib in libs:
            if names is not None and lib.name not in names:
                continue
            if (why := lib.missing()) is not None:
                notes[f"library {lib.name} ({fmt}) left out: {why}"] = None
                continue
            keep.append(lib)
        if keep:
            picked[fmt] = tuple(keep)
    return Chosen(picked, tuple(notes))


def in_worker(library: Library, isolate: bool) -> bool:
    """Whether the cell runs in a worker process: always with ``--isolate``, and whenever
    the library needs variables of its own (this process has its own already)."""
    return isolate or bool(library.environment)


# -- a library in a worker process ---------------------------------------------------------
def step_ref(library: Library) -> str:
    """The library's step as ``"module:attribute"``, for a worker process to import: a
    worker rebuilds everything from the job, so the step must be importable by name."""
    step = library.step
    if isinstance(step, str):
        return step
    module, name = getattr(step, "__module__", None), getattr(step, "__qualname__", "")
    ref = f"{module}:{name}"
    try:
        same = module is not None and "<" not in name and resolve(ref) is step
    except (ImportError, AttributeError):
        same = False
    if not same:
        raise UsageError(
            f"library {library.name}: its step must be importable by name to run in a worker "
            f"process (give it as 'package.module:function')"
        )
    return ref


def job_library(fmt: str, library: Library) -> dict[str, object]:
    return {
        "format": fmt,
        "name": library.name,
        "step": step_ref(library),
        "environment": dict(library.environment),
    }


def library_from(raw: Mapping[str, object]) -> Library:
    """The library of a worker's job, as the parent process described it."""
    env = raw.get("environment") or {}
    assert isinstance(env, dict)
    return Library(str(raw["name"]), str(raw["step"]), environment=env)


# -- measuring -----------------------------------------------------------------------------
def plan(
    loaded: Loaded,
    fmt: str,
    library: Library,
    codec: Codec,
    blobs: Sequence[bytes],
    sampler: Sampler,
    spread: float,
) -> Callable[[], Cell]:
    """Check one library against the format's codec and hand its timings to ``sampler``;
    the cell, once the samples are taken, from the function returned. A library that
    disagrees (or whose adapter fails) is a failed cell, never timed."""
    from fmtbench.bench.results import Cell
    from fmtbench.bench.runner import as_bytes_encoder, each, failed_cell, timing

    n, records = len(loaded.records), loaded.records
    try:
        step = library.adapter()(codec, records)
        problem = disagreement(step, codec, records, blobs)
    except Exception as exc:  # an adapter that cannot start is a finding, not a crash
        text = str(exc).splitlines()[0] if str(exc) else ""
        problem = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if problem is not None:
        failed = failed_cell(loaded, fmt, library.name, STEP, problem)
        return lambda: failed
    measured: dict[str, Measured] = {}
    if step.encode is not None:
        encode = as_bytes_encoder(step.encode, step.objects[0])
        measured["message_encode"] = sampler.measure(each(encode, step.objects))
    if step.decode is not None:
        measured["message_decode"] = sampler.measure(each(step.decode, blobs))

    def cell() -> Cell:
        timings = {k: timing(m.result(), "record", n, spread) for k, m in measured.items()}
        return Cell(loaded.info.name, fmt, library.name, STEP, "ok", None, None, timings)

    return cell
