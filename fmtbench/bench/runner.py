"""The benchmark run: for every dataset and format, one cell of sizes, timings and memory.

A cell (docs/methodology.md has every rule) goes through fixed phases, each apart from the
others: build the codecs and prepare the inputs; check the round trip of every record and of
the batch (a failure is reported, never timed); size the batch file and its compressed
forms; time message and batch encode and decode; measure the decode's memory peak in a pass
of its own. The native step of the format's library gets a cell of its own beside it, and
so does each other implementation asked for with ``--libraries`` (``libraries.py``).

``run`` measures in this process; with ``settings.isolate`` each cell runs in a fresh worker
process (``fmtbench.bench.worker``) that regenerates its dataset from the ``DatasetSpec``.
"""

from __future__ import annotations

import gc
import itertools
import time
import tracemalloc
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import brotli
import zstandard

from fmtbench.bench import libraries as libs
from fmtbench.bench.environment import collect_environment, machine_busy
from fmtbench.bench.interleave import Immediate, Interleaver
from fmtbench.bench.results import (
    Cell,
    Compressed,
    DatasetInfo,
    Memory,
    Results,
    Settings,
    Size,
    Step,
    Timing,
)
from fmtbench.bench.stats import UNSTABLE_SPREAD, summarize
from fmtbench.bench.timer import Clock, Sampled, Timer
from fmtbench.codecs import Codec, Record, codec_for, format_for_path
from fmtbench.codecs.format import Library, Native
from fmtbench.codecs.registry import REGISTRY
from fmtbench.codecs.values.difference import difference
from fmtbench.compress import compression, decompressing
from fmtbench.errors import FmtbenchError, RecordError, UsageError
from fmtbench.files import open_input
from fmtbench.generate.dataset import Dataset
from fmtbench.schema.model import Schema
from fmtbench.text import did_you_mean

MODES = ("message", "batch")

#: Timing settings, default and ``--quick``. The whole suite is 189 timings, so a sample's
#: length sets the run time: 7 samples of 30 ms finish it in about a minute on 2 cores,
#: where 50 ms took 100 s and measured no steadier (docs/methodology.md, "Run time").
MIN_SAMPLE_SECONDS = 0.03
SAMPLES = 7
QUICK_MIN_SAMPLE_SECONDS = 0.01
QUICK_SAMPLES = 3

#: Default records of a built-in dataset: about this much JSON, within the profile's count,
#: and never fewer than ``MIN_RECORDS`` (so a per-record mean is over more than a handful).
JSON_BUDGET = 256 * 1024
QUICK_JSON_BUDGET = 64 * 1024
MIN_RECORDS = 8
#: Compression is timed briefly: three samples, a tenth of the usual minimum sample length.
COMPRESSION_SAMPLES = 3
COMPRESSION_SHARE = 0.1


class BenchError(FmtbenchError):
    """A benchmark could not run (a worker failed, a dataset had no records)."""


def make_settings(
    modes: Sequence[str],
    *,
    quick: bool = False,
    isolate: bool = False,
    samples: int | None = None,
    min_time: float | None = None,
    warmups: int | None = None,
) -> Settings:
    """The timing settings: the defaults (or ``--quick``'s), with what the user set."""
    if samples is not None and not 2 <= samples <= 1000:
        raise UsageError(f"--samples must be 2 to 1000, got {samples}")
    if min_time is not None and not 0 < min_time <= 60:
        raise UsageError(f"--min-time must be above 0 and at most 60 seconds, got {min_time:g}")
    if warmups is not None and not 1 <= warmups <= 100:
        # The calibration's last sample is always a warm-up (timer.py).
        raise UsageError(f"--warmup must be 1 to 100 (the calibration is one), got {warmups}")
    return Settings(
        modes=tuple(m for m in MODES if m in modes),
        quick=quick,
        isolate=isolate,
        min_sample_seconds=min_time or (QUICK_MIN_SAMPLE_SECONDS if quick else MIN_SAMPLE_SECONDS),
        samples=samples or (QUICK_SAMPLES if quick else SAMPLES),
        warmups=1 if warmups is None else warmups,
        unstable_spread=UNSTABLE_SPREAD,
    )


# -- datasets ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetSpec:
    """What to benchmark, in a form a worker process can rebuild the same records from.

    ``kind`` is "profile" (``ref`` is a built-in dataset name or a profile file; records are
    generated, deterministic for a seed) or "file" (``ref`` is a file of records read with
    ``schema`` and ``type_name``) or "schema" (``ref`` and ``schema`` are the schema; records
    are generated from it alone). ``records`` None means the default: a JSON byte budget
    for a profile or a schema, the whole file for a file.
    """

    kind: str
    ref: str
    records: int | None = None
    seed: int | None = None
    schema: str | None = None
    type_name: str | None = None


@dataclass(frozen=True)
class Loaded:
    spec: DatasetSpec  # with ``records`` resolved to the actual count
    info: DatasetInfo
    codec_args: tuple[Schema, str]  # (schema, record type) to build codecs with
    records: list[Record]


def default_records(dataset: Dataset, *, quick: bool) -> int:
    from fmtbench.generate import summarize as json_size

    budget = QUICK_JSON_BUDGET if quick else JSON_BUDGET
    per_record = max(json_size(dataset).json_bytes, 1.0)
    return min(dataset.records, max(MIN_RECORDS, round(budget / per_record)))


def load(spec: DatasetSpec, *, quick: bool = False) -> Loaded:
    if spec.kind == "file":
        return _load_file(spec)
    if spec.kind == "schema":
        return _load_schema(spec, quick=quick)
    from fmtbench.generate import load_dataset

    ds = load_dataset(spec.ref)
    count = default_records(ds, quick=quick) if spec.records is None else spec.records
    seed = ds.seed if spec.seed is None else spec.seed
    records = list(ds.generator(seed).records(count))
    if not records:
        raise BenchError(f"{ds.name}: no records to benchmark (--records must be at least 1)")
    source = spec.ref if Path(spec.ref).is_file() else "built-in"
    info = DatasetInfo(ds.name, ds.schema.name, ds.type_name, len(records), seed, source)
    resolved = DatasetSpec("profile", spec.ref, len(records), seed)
    return Loaded(resolved, info, (ds.schema, ds.type_name), records)


def dataset_name(spec: DatasetSpec) -> str:
    """The name ``load`` gives the dataset of ``spec``, found without making its records."""
    if spec.kind == "file":
        return Path(spec.ref).stem
    if spec.kind == "schema":
        from fmtbench.schema.builtin import resolve_schema

        assert spec.schema is not None
        return resolve_schema(spec.schema).message(spec.type_name).name
    from fmtbench.generate import load_dataset

    return load_dataset(spec.ref).name


def refuse_equal_names(specs: Sequence[DatasetSpec]) -> None:
    """Two datasets of one name would be one in every report (cells are shown by dataset):
    refused before anything is measured, naming both."""
    seen: dict[str, str] = {}
    for spec in specs:
        name = dataset_name(spec)
        if name in seen:
            raise BenchError(
                f"{seen[name]} and {spec.ref} are both datasets named {name!r}: "
                "rename one (a profile's 'dataset:' key, an input file's name)"
            )
        seen[name] = spec.ref


def _load_schema(spec: DatasetSpec, *, quick: bool) -> Loaded:
    """Records generated from a schema alone (``bench --schema S`` without ``--input``):
    ``records`` of them, or as many as the JSON byte budget holds, seeded (default 0)."""
    from fmtbench.generate import RecordGenerator
    from fmtbench.schema.builtin import resolve_schema, schema_file

    assert spec.schema is not None
    schema = resolve_schema(spec.schema)
    seed = spec.seed or 0
    gen = RecordGenerator(schema, spec.type_name, seed=seed)
    count = spec.records
    if count is None:
        from fmtbench.codecs import codec_for

        sample = list(gen.records(MIN_RECORDS))
        size = len(codec_for("json", schema, gen.type_name).encode_many(sample)) / MIN_RECORDS
        budget = QUICK_JSON_BUDGET if quick else JSON_BUDGET
        count = max(MIN_RECORDS, round(budget / max(size, 1.0)))
        gen = RecordGenerator(schema, spec.type_name, seed=seed)
    records = list(gen.records(count))
    if not records:
        raise BenchError(f"{schema.name}: no records to benchmark (--records must be at least 1)")
    source = schema_file(spec.ref)
    info = DatasetInfo(gen.type_name, schema.name, gen.type_name, len(records), seed, source)
    resolved = DatasetSpec("schema", spec.ref, len(records), seed, spec.schema, spec.type_name)
    return Loaded(resolved, info, (schema, gen.type_name), records)


def _load_file(spec: DatasetSpec) -> Loaded:
    from fmtbench.schema.builtin import resolve_schema

    assert spec.schema is not None
    schema = resolve_schema(spec.schema)
    codec = codec_for(format_for_path(spec.ref), schema, spec.type_name)
    try:
        kind = compression(spec.ref)
        with open_input(spec.ref) as packed, decompressing(packed, kind, spec.ref) as f:
            records = list(itertools.islice(codec.reader(f), spec.records))
    except RecordError as exc:
        raise exc.located(file=spec.ref) from None
    if not records:
        raise BenchError(f"{spec.ref}: no records to benchmark")
    type_name = codec.message.name
    info = DatasetInfo(Path(spec.ref).stem, schema.name, type_name, len(records), None, spec.ref)
    resolved = DatasetSpec("file", spec.ref, len(records), None, spec.schema, spec.type_name)
    return Loaded(resolved, info, (schema, type_name), records)


# -- the round trip ------------------------------------------------------------------------
class RoundTripError(FmtbenchError):
    """A record did not come back equal, or the codec failed on a valid record."""


def as_bytes_encoder(encode: Callable[[Any], Any], sample: Any) -> Callable[[Any], bytes]:
    """An encoder that returns ``bytes``: every timed encoder ends with the same kind of object.

    A library handing back a bytearray or a memoryview would skip the copy the others pay
    for; wrapping it puts that copy inside the timed region, where it belongs.
    """
    if type(encode(sample)) is bytes:
        return encode
    return lambda x: bytes(encode(x))


def check_round_trip(
    codec: Codec, stream: Codec, records: Sequence[Record]
) -> tuple[list[bytes], bytes]:
    """Every record, then the batch, through bytes and back; returns the bytes.

    Any exception counts as a failure of the cell (a codec bug must not stop the whole run,
    and must not go unreported).
    """
    stage = "message"
    try:
        blobs = []
        for i, record in enumerate(records, 1):
            data = bytes(codec.encode(record))
            if (diff := difference(record, codec.decode(data))) is not None:
                raise RoundTripError(f"record {i}: message round trip changed {diff}")
            blobs.append(data)
        stage = "batch"
        batch = bytes(stream.encode_many(list(records)))
        back = stream.decode_many(batch)
        if len(back) != len(records):
            raise RoundTripError(f"batch of {len(records)} records came back as {len(back)}")
        for i, (record, again) in enumerate(zip(records, back, strict=True), 1):
            if (diff := difference(record, again)) is not None:
                raise RoundTripError(f"record {i}: batch round trip changed {diff}")
    except RoundTripError:
        raise
    except FmtbenchError as exc:
        raise RoundTripError(f"{stage} round trip: {exc}") from None
    except Exception as exc:
        raise RoundTripError(f"{stage} round trip: {type(exc).__name__}: {exc}") from None
    return blobs, batch


# -- measuring -----------------------------------------------------------------------------
def timing(sampled: Sampled, per: str, units: int, spread: float) -> Timing:
    """Seconds per pass become seconds per ``per`` (a pass holds ``units`` of them)."""
    seconds = tuple(s / units for s in sampled.seconds)
    s = summarize(seconds, spread)
    return Timing(per, seconds, sampled.loops, s.median, s.iqr, s.mad, s.unstable)


def each(fn: Callable[[Any], object], items: Sequence[Any]) -> Callable[[], None]:
    """One pass: ``fn`` on every item, results dropped as they come (no list to grow)."""

    def body() -> None:
        for item in items:
            fn(item)

    return body


def compressors() -> dict[str, tuple[int, Callable[[bytes], bytes], Callable[[bytes], bytes]]]:
    """name -> (level, compress, decompress), built once per cell."""
    zc, zd = zstandard.ZstdCompressor(level=3), zstandard.ZstdDecompressor()
    return {
        "zlib": (6, lambda d: zlib.compress(d, 6), zlib.decompress),
        "zstd": (3, zc.compress, zd.decompress),
        "brotli": (5, lambda d: brotli.compress(d, quality=5), brotli.decompress),
    }


def _median_seconds(brief: Timer, step: Callable[[bytes], bytes], data: bytes) -> float:
    return summarize(brief.measure(lambda: step(data)).seconds).median


def size_of(data: bytes, records: int, brief: Timer) -> Size:
    compressed: dict[str, Compressed] = {}
    mb = len(data) / 1e6  # MB/s both ways are of the uncompressed bytes
    for name, (level, compress, decompress) in compressors().items():
        packed = compress(data)
        if decompress(packed) != data:
            raise BenchError(f"{name} did not give back the data it compressed")
        c_time = _median_seconds(brief, compress, data)
        d_time = _median_seconds(brief, decompress, packed)
        compressed[name] = Compressed(
            level, len(packed), len(data) / len(packed), mb / c_time, mb / d_time
        )
    return Size(len(data), records, len(data) / records, compressed)


def decode_peak(decode: Callable[[bytes], object], data: bytes) -> int:
    """tracemalloc's peak while decoding, above what was allocated before; never timed."""
    gc.collect()
    tracing = tracemalloc.is_tracing()  # someone may be tracing already (python -X tracemalloc)
    if not tracing:
        tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        decoded = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not tracing:
            tracemalloc.stop()
    del decoded
    return max(peak - before, 0)


def failed_cell(loaded: Loaded, fmt: str, impl: str, step: Step, error: str) -> Cell:
    return Cell(loaded.info.name, fmt, impl, step, "failed", error)


def bench_formats() -> tuple[str, ...]:
    """The formats a benchmark compares by default: every registered one that benches and
    whose libraries are installed (``missing_formats`` names the others)."""
    return tuple(name for name, f in REGISTRY.items() if f.bench and f.missing() is None)


def missing_formats() -> dict[str, str]:
    """Formats a default benchmark leaves out for a library not installed -> the hint."""
    return {name: hint for name, f in REGISTRY.items() if f.bench and (hint := f.missing())}


def make_timers(settings: Settings, clock: Clock) -> tuple[Timer, Timer]:
    """The timer of the timings, and the brief one of the compression figures."""
    timer = Timer(
        min_sample_seconds=settings.min_sample_seconds,
        samples=settings.samples,
        warmups=settings.warmups,
        clock=clock,
    )
    brief = Timer(
        min_sample_seconds=settings.min_sample_seconds * COMPRESSION_SHARE,
        samples=COMPRESSION_SAMPLES,
        warmups=1,  # the calibration's last sample only: these figures are indicative
        clock=clock,
    )
    return timer, brief


class Sampler(Protocol):
    """Where a cell's timings are measured: at once, or in rounds (``interleave.py``)."""

    def measure(self, body: Callable[[], object]) -> Measured: ...


class Measured(Protocol):
    def result(self) -> Sampled: ...


def measure_cell(loaded: Loaded, fmt: str, settings: Settings, clock: Clock) -> list[Cell]:
    """The full-step cell of one format on one dataset, and its native cell if it has one,
    its samples taken back to back (an isolated worker measures one cell alone)."""
    timer, brief = make_timers(settings, clock)
    return plan_cell(loaded, fmt, settings, Immediate(timer), brief)()


def measure_library(
    loaded: Loaded, fmt: str, library: Library, settings: Settings, clock: Clock
) -> Cell:
    """One library cell alone, its samples back to back (a worker process measures it):
    the format's own round trip first, for the bytes the library must read."""
    timer, _ = make_timers(settings, clock)
    entry = REGISTRY.get_format(fmt)
    codec = codec_for(fmt, *loaded.codec_args)
    stream = codec_for(entry.batch_format or fmt, *loaded.codec_args)
    try:
        blobs, _ = check_round_trip(codec, stream, loaded.records)
    except RoundTripError as exc:
        why = f"not measured: fmtbench's own round trip failed ({exc})"
        return failed_cell(loaded, fmt, library.name, libs.STEP, why)
    spread = settings.unstable_spread
    return libs.plan(loaded, fmt, library, codec, blobs, Immediate(timer), spread)()


def measure_dataset(
    loaded: Loaded,
    formats: Sequence[str],
    settings: Settings,
    clock: Clock,
    progress: Callable[[float, str], None] | None = None,
    libraries: libs.Chosen = libs.NONE,
) -> list[Cell]:
    """Every format's cells on one dataset, their samples interleaved (interleave.py).
    ``progress(fraction, what)``: calibrating is the first half, the rounds the second.
    A library needing an environment of its own is measured after, in a worker process."""
    timer, brief = make_timers(settings, clock)
    rounds = Interleaver(timer)
    finish = []
    for i, fmt in enumerate(formats):
        if progress is not None:
            progress(i / len(formats) / 2, f"{loaded.info.name} {fmt}: calibrating")
        here = [lib for lib in libraries.of(fmt) if not libs.in_worker(lib, settings.isolate)]
        finish.append(plan_cell(loaded, fmt, settings, rounds, brief, here))

    def after_round(i: int) -> None:
        if progress is not None:
            what = f"{loaded.info.name}: every format, round {min(i + 1, timer.samples)} of {timer.samples}"  # fmt: skip
            progress(0.5 + i / timer.samples / 2, what)

    after_round(0)
    rounds.run(after_round)
    cells = [cell for done in finish for cell in done()]
    return cells + _worker_libraries(loaded, formats, settings, libraries, progress)


def _worker_libraries(
    loaded: Loaded,
    formats: Sequence[str],
    settings: Settings,
    libraries: libs.Chosen,
    progress: Callable[[float, str], None] | None = None,
) -> list[Cell]:
    """The library cells that run in worker processes, in format order, each alone."""
    from fmtbench.bench.worker import run_library_isolated

    if "message" not in settings.modes:  # library cells hold message timings only
        return []
    out = []
    for fmt in formats:
        for lib in libraries.of(fmt):
            if not libs.in_worker(lib, settings.isolate):
                continue
            if progress is not None:
                progress(1.0, f"{loaded.info.name} {fmt} {lib.name}: in a worker process")
            out.append(run_library_isolated(loaded.spec, loaded.info.name, fmt, lib, settings))
    return out


def plan_cell(
    loaded: Loaded,
    fmt: str,
    settings: Settings,
    sampler: Sampler,
    brief: Timer,
    libraries: Sequence[Library] = (),
) -> Callable[[], list[Cell]]:
    """Check, size and calibrate one format on one dataset (and ``libraries`` of it); the
    cells, once ``sampler`` has taken the samples, from the function returned."""
    name, records = loaded.info.name, loaded.records
    entry = REGISTRY.get_format(fmt)
    impl = f"fmtbench ({entry.library_name()})" if entry.library_name() else "fmtbench"
    codec = codec_for(fmt, *loaded.codec_args)
    stream = codec_for(entry.batch_format or fmt, *loaded.codec_args)
    native = entry.native_adapter() if "message" in settings.modes else None
    native_impl = native.name() if native is not None else None
    try:
        blobs, batch = check_round_trip(codec, stream, records)
    except RoundTripError as exc:
        failed = [failed_cell(loaded, fmt, impl, "full", str(exc))]
        if native_impl is not None:
            why = f"not measured: fmtbench's own round trip failed ({exc})"
            failed.append(failed_cell(loaded, fmt, native_impl, "native", why))
        why = f"not measured: fmtbench's own round trip failed ({exc})"
        failed += [failed_cell(loaded, fmt, lib.name, libs.STEP, why) for lib in libraries]
        return lambda: failed
    size = size_of(batch, len(records), brief)
    spread = settings.unstable_spread
    measured: dict[str, tuple[Measured, str, int]] = {}
    if "message" in settings.modes:
        encode = as_bytes_encoder(codec.encode, records[0])
        measured["message_encode"] = (sampler.measure(each(encode, records)), "record", len(records))  # fmt: skip
        measured["message_decode"] = (sampler.measure(each(codec.decode, blobs)), "record", len(records))  # fmt: skip
    if "batch" in settings.modes:
        encode_many = as_bytes_encoder(stream.encode_many, records)
        measured["batch_encode"] = (sampler.measure(lambda: encode_many(records)), "batch", 1)
        measured["batch_decode"] = (sampler.measure(lambda: stream.decode_many(batch)), "batch", 1)  # fmt: skip
    memory = Memory(decode_peak(stream.decode_many, batch))
    native_done = (
        None if native is None else _native_cell(loaded, fmt, native, codec, blobs, sampler, spread)
    )
    # Library cells are message timings, as native ones: none in a batch-only run.
    library_done = [
        libs.plan(loaded, fmt, lib, codec, blobs, sampler, spread)
        for lib in (libraries if "message" in settings.modes else ())
    ]

    def cells() -> list[Cell]:
        timings = {k: timing(m.result(), per, n, spread) for k, (m, per, n) in measured.items()}
        out = [Cell(name, fmt, impl, "full", "ok", None, size, timings, memory)]
        if native_done is not None:
            out.append(native_done())
        return out + [done() for done in library_done]

    return cells


def _native_cell(
    loaded: Loaded,
    fmt: str,
    adapter: Native,
    codec: Codec,
    blobs: list[bytes],
    sampler: Sampler,
    spread: float,
) -> Callable[[], Cell]:
    n, impl = len(loaded.records), adapter.name()
    try:
        native = adapter.step(codec, loaded.records)
        problem = native.verify(blobs)
    except Exception as exc:  # a library refusing the codec's own bytes is a result, not a crash
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        failed = failed_cell(loaded, fmt, impl, "native", problem)
        return lambda: failed
    measured: dict[str, Measured] = {}
    if native.encode is not None:
        encode = as_bytes_encoder(native.encode, native.objects[0])
        measured["message_encode"] = sampler.measure(each(encode, native.objects))
    measured["message_decode"] = sampler.measure(each(native.decode, blobs))

    def cell() -> Cell:
        timings = {k: timing(m.result(), "record", n, spread) for k, m in measured.items()}
        return Cell(loaded.info.name, fmt, impl, "native", "ok", None, None, timings)

    return cell


# -- the run -------------------------------------------------------------------------------
Progress = Callable[[int, int, str], None]  # (cells done, cells in all, what runs now)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats asked for, in order, once each; an unknown one is a usage error."""
    known = bench_formats()
    choose = f"choose from {', '.join(known)}"
    if not formats:
        raise UsageError(f"no format to benchmark; {choose}")
    for name in formats:
        if name not in known and (hint := missing_formats().get(name)):
            raise UsageError(hint)
    unknown = [f for f in formats if f not in known]
    if unknown:
        hint = did_you_mean(unknown[0], known)
        raise UsageError(f"unknown format {', '.join(map(repr, unknown))}; {choose}{hint}")
    return tuple(dict.fromkeys(formats))


def run(
    specs: Sequence[DatasetSpec],
    formats: Sequence[str],
    settings: Settings,
    *,
    command: Sequence[str] = (),
    clock: Clock = time.perf_counter,
    progress: Progress | None = None,
    libraries: libs.Chosen = libs.NONE,
) -> Results:
    """Measure every dataset of ``specs`` in every format, with the cells of ``libraries``
    (``libraries.choose``: none unless ``--libraries`` asked)."""
    formats = check_formats(formats)
    refuse_equal_names(specs)
    environment = collect_environment()
    # Progress counts cells: a dataset's are done together when its samples are interleaved.
    total = len(specs) * len(formats)
    infos: list[DatasetInfo] = []
    cells: list[Cell] = []
    done = 0
    for spec in specs:
        loaded = load(spec, quick=settings.quick)
        infos.append(loaded.info)
        if settings.isolate:
            from fmtbench.bench.worker import run_isolated

            for fmt in formats:
                if progress is not None:
                    progress(done, total, f"{loaded.info.name} {fmt}")
                cells.extend(run_isolated(loaded.spec, fmt, settings))
                done += 1
            cells.extend(_worker_libraries(loaded, formats, settings, libraries))
        else:

            def report(fraction: float, what: str, base: int = done) -> None:
                if progress is not None:
                    progress(base + int(fraction * len(formats)), total, what)

            cells.extend(measure_dataset(loaded, formats, settings, clock, report, libraries))
            done += len(formats)
        del loaded  # its records go before the next dataset's are generated
    if progress is not None:
        progress(done, total, "done")
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Busy at the start or by the end: either makes the figures noisier (compare says so).
    busy = tuple(dict.fromkeys((*environment.busy, *machine_busy())))
    environment = replace(environment, busy=busy)
    return Results(created, tuple(command), environment, settings, tuple(infos), tuple(cells))
