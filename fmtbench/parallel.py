"""Conversions across processes: many files at once, or one big file split into chunks.

A job carries only plain values (paths, the schema reference), never a compiled codec. Workers
are forked where the platform can and this process runs a single thread: a forked worker starts
in milliseconds with the parent's imports and compiled schema, which makes splitting pay from a
few megabytes on. Otherwise (another platform, or a caller running threads of its own, whose
locks a fork would copy held; the CLI's progress bar runs none) they are spawned: each imports
fmtbench and compiles its own codecs, about 0.2 s, so only files of tens of megabytes are split.

One big file of a format that can be cut at record boundaries (its registry entry has a
``split``: JSON Lines, delimited Protobuf) is cut into byte ranges; each worker converts its
range into a part file, and the parts are joined in order into the (atomic) output. Only
formats whose files concatenate are written this way. Errors keep the
record numbers, lines and byte offsets of the whole file: a chunk reports its own, and the
parent adds what the earlier chunks held.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from fmtbench.codecs import Codec, codec_for
from fmtbench.codecs.registry import REGISTRY
from fmtbench.convert import ConvertResult, Progress, convert, resolve_format
from fmtbench.errors import FileError, FmtbenchError, RecordError, UsageError
from fmtbench.files import (
    STDIO,
    Terminated,
    atomic_output,
    open_input,
    reason,
    refuse_overwriting_inputs,
    refuse_same_file,
)
from fmtbench.halves import can_fork
from fmtbench.limits import DEFAULT_LIMITS, Limits
from fmtbench.pump import pump
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Schema

if TYPE_CHECKING:
    # Imported where workers are started: a conversion in this process (the common case
    # of one file, and every file that cannot be split) starts without them.
    from concurrent.futures import Future, ProcessPoolExecutor

#: Below this a file is converted by one process: starting workers costs more than it saves.
#: Spawned workers (see above) need the larger figure, forked ones the smaller.
CHUNK_THRESHOLD = 64 << 20
FORKED_CHUNK_THRESHOLD = 8 << 20
#: Chunks per worker: small enough pieces balance the load and move the progress bar.
_CHUNKS_PER_WORKER = 4
_MIN_CHUNK = 4 << 20


@dataclass(frozen=True)
class Options:
    """What every worker needs to rebuild the conversion: plain, picklable values."""

    schema: str  # a schema file path or a built-in name
    type_name: str | None = None
    from_format: str | None = None
    to_format: str | None = None
    drop_unknown: bool = False
    limits: Limits = DEFAULT_LIMITS
    #: The writing codec's keyword options (``Format.options``), as sorted pairs.
    writer_options: tuple[tuple[str, Any], ...] = ()


# -- many files ------------------------------------------------------------------------------
def output_paths(inputs: Sequence[str], outdir: str, to_format: str) -> list[str]:
    """Each input's output in ``outdir``: its name with the target format's ending."""
    ending = REGISTRY.get_format(to_format).extensions[0]
    outs = [os.path.join(outdir, Path(src).stem + ending) for src in inputs]
    seen: dict[str, str] = {}
    for src, out in zip(inputs, outs, strict=True):
        if out in seen:
            raise UsageError(f"{seen[out]} and {src} would both be written to {out}")
        seen[out] = src
    return outs


def convert_many(
    inputs: Sequence[str],
    outputs: Sequence[str],
    options: Options,
    *,
    workers: int,
    progress: Progress | None = None,
) -> list[ConvertResult]:
    """Convert each input to its output, ``workers`` files at a time.

    Every output is atomic. On the first failure no new file is started; files already
    being converted finish and are kept whole; the failed file has no output; the error is
    raised (naming the file, the record and the field).
    """
    pairs = list(zip(inputs, outputs, strict=True))
    # Any input, not only its own: a.json -> ./a.jsonl would destroy a later input a.jsonl.
    refuse_overwriting_inputs(outputs, inputs)
    sizes = [_size(src) for src, _ in pairs]
    if workers <= 1 or len(pairs) == 1:
        schema = resolve_schema(options.schema)
        results: list[ConvertResult] = []
        done_records = done_bytes = 0
        for (src, dst), size in zip(pairs, sizes, strict=True):
            step = _offset(progress, done_records, done_bytes)
            results.append(
                convert_one(src, dst, options, schema=schema, progress=step, workers=workers)
            )
            done_records += results[-1].records
            done_bytes += size
        return results
    from concurrent.futures import FIRST_COMPLETED, wait

    with _pool(min(workers, len(pairs))) as pool:
        futures = [pool.submit(_task, convert_one, src, dst, options) for src, dst in pairs]
        records = done = 0
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                if fut.exception() is not None:
                    for other in pending:
                        other.cancel()  # not started: never begun, so no output
                    wait(pending)  # running ones finish and keep their whole output
                    raise _error(fut)
                records += fut.result().records
                done += sizes[futures.index(fut)]
            if progress is not None:
                progress(records, done)
        return [f.result() for f in futures]


def convert_one(
    src: str,
    dst: str,
    options: Options,
    *,
    schema: Schema | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> ConvertResult:
    """One file in this process, with ``options`` (the schema compiled once a process and
    reused, unless given); ``workers`` above 1 lets a big batch message share its list with a
    forked process (halves.py)."""
    return convert(
        src,
        dst,
        schema if schema is not None else _schema(options.schema),
        type_name=options.type_name,
        from_format=options.from_format,
        to_format=options.to_format,
        drop_unknown=options.drop_unknown,
        limits=options.limits,
        writer_options=dict(options.writer_options),
        progress=progress,
        workers=workers,
    )


@functools.lru_cache(maxsize=4)
def _schema(ref: str) -> Schema:
    return resolve_schema(ref)


@functools.lru_cache(maxsize=4)
def _codecs(options: Options, source: str, target: str) -> tuple[Codec, Codec]:
    """The reading and the writing codec of a chunked conversion, compiled once a process
    (readers and writers keep their state; the codecs only their compiled code)."""
    schema = _schema(options.schema)
    decoder = codec_for(
        source, schema, options.type_name, drop_unknown=options.drop_unknown, limits=options.limits
    )
    encoder = codec_for(
        target,
        schema,
        options.type_name,
        limits=options.limits,
        options=dict(options.writer_options),
    )
    return decoder, encoder


# -- one big file in chunks ------------------------------------------------------------------
def can_split(src: str, dst: str, options: Options, *, threshold: int | None = None) -> bool:
    """Whether ``src`` is worth, and fit for, converting in chunks."""
    if STDIO in (src, dst) or options.limits.max_input_bytes is not None:
        return False  # the input cap is counted by the one process that reads it all
    from fmtbench.compress import compression

    if compression(src) or compression(dst):
        return False  # a compressed stream cannot be cut at byte offsets
    source = resolve_format(src, options.from_format, "--from")
    target = resolve_format(dst, options.to_format, "--to")
    if threshold is None:
        threshold = FORKED_CHUNK_THRESHOLD if _start_method() == "fork" else CHUNK_THRESHOLD
    # Sources its registry entry can cut at record boundaries without parsing, into a
    # target whose files concatenate.
    splits = REGISTRY.get_format(source).split is not None
    return splits and REGISTRY.get_format(target).concatenates and _size(src) >= threshold


@dataclass(frozen=True)
class _Chunk:
    index: int
    start: int
    end: int


@dataclass(frozen=True)
class _ChunkDone:
    records: int
    lines: int  # JSON Lines: lines read, blank ones included


def convert_chunked(
    src: str,
    dst: str,
    options: Options,
    *,
    workers: int,
    progress: Progress | None = None,
    chunk_bytes: int = _MIN_CHUNK,
) -> ConvertResult:
    """Convert one big file with ``workers`` processes; the output equals a one-process run.

    The file is cut into about four chunks a worker, none (but the last) under
    ``chunk_bytes``.
    """
    source = resolve_format(src, options.from_format, "--from")
    target = resolve_format(dst, options.to_format, "--to")
    refuse_same_file(src, dst)
    # A bad schema or type fails here once, not in every worker; and forked workers inherit
    # the compiled codecs rather than compiling their own.
    _codecs(options, source, target)
    with open_input(src):
        pass  # a missing, unreadable or directory input fails here, named as an input
    size = _size(src)
    count = max(1, min(workers * _CHUNKS_PER_WORKER, size // max(1, chunk_bytes)))
    split = REGISTRY.get_format(source).splitter()
    if split is None:
        raise UsageError(f"{source} files cannot be split (see can_split)")
    bounds = split(src, size, count)
    chunks = [_Chunk(i, a, b) for i, (a, b) in enumerate(bounds)]
    directory = os.path.dirname(os.path.abspath(dst))
    if os.path.isdir(dst):
        raise FileError(f"{dst}: cannot write: it is a directory")
    try:
        parts = tempfile.mkdtemp(dir=directory, prefix=".fmtbench-")
    except OSError as exc:
        raise FileError(f"{dst}: cannot write in {directory}: {reason(exc)}") from None
    try:
        # The pool is gone (its workers finished or were stopped) before the part files are
        # removed below, so no worker can write into the directory after its removal.
        with atomic_output(dst) as out:
            # Each part joins the output as soon as it and all before it are done, while the
            # workers convert the rest, and is removed at once: the join is not left for the
            # end, and the parts do not wait in the page cache beside the output.
            join = _Join(parts, chunks, out)
            done = _run_chunks(
                src, parts, chunks, options, source, target, workers, progress, join.ready
            )
            if not any(d.records for d in done):
                raise _NoRecords  # the output, empty so far, is discarded
    except _NoRecords:
        # No record at all: one process decides what that gives (an empty file, or the
        # refusal of a format whose empty file cannot be told from a failed export).
        return convert_one(src, dst, options)
    except OSError as exc:
        raise FileError(f"{dst}: cannot write: {reason(exc)}") from None
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return ConvertResult(sum(d.records for d in done), source, target)


class _NoRecords(Exception):
    """The chunks held no record."""


class _Join:
    """The chunks' part files appended to the output in order, each as soon as it can be."""

    def __init__(self, parts: str, chunks: list[_Chunk], out: BinaryIO) -> None:
        self.parts, self.chunks, self.out = parts, chunks, out
        self.done: set[int] = set()
        self.next = 0

    def ready(self, index: int) -> None:
        self.done.add(index)
        while self.next in self.done:
            path = _part(self.parts, self.chunks[self.next])
            with open(path, "rb") as part:
                _append(part, self.out)
            os.remove(path)
            self.next += 1
        # The output so far on its way to the disk while the workers convert the rest: the
        # final fsync (atomic_output) then waits for the last parts only.
        self.out.flush()
        with contextlib.suppress(OSError, ValueError):  # a pipe or a device cannot be synced
            os.fdatasync(self.out.fileno())


def _run_chunks(
    src: str,
    parts: str,
    chunks: list[_Chunk],
    options: Options,
    source: str,
    target: str,
    workers: int,
    progress: Progress | None,
    ready: Callable[[int], None],
) -> list[_ChunkDone]:
    """Convert the chunks; ``ready`` is called with each chunk's index as its part is
    complete, and none after a chunk fails."""
    results: dict[int, _ChunkDone] = {}
    failed: dict[int, RecordError] = {}
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, wait

    context = multiprocessing.get_context(_start_method())
    shared = context.Array("q", 2 * len(chunks), lock=False) if progress is not None else None
    with _pool(min(workers, len(chunks)), shared) as pool:
        futures = {
            pool.submit(_task, _convert_chunk, src, _part(parts, c), c, options, source, target): c
            for c in chunks
        }
        pending: set[Future[_ChunkDone]] = set(futures)
        last = (0, 0)
        while pending:
            # With a bar, woken every tenth of a second to show the chunks' own counters.
            timeout = None if shared is None else 0.1
            finished, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk = futures[fut]
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if isinstance(exc, _ChunkFailure):
                    failed[chunk.index] = exc.error
                    # A later chunk's records come after this one's: it cannot be the first.
                    for other in pending:
                        if futures[other].index > chunk.index:
                            other.cancel()
                elif exc is not None:
                    raise exc
                else:
                    results[chunk.index] = fut.result()
                    if not failed:
                        ready(chunk.index)
            if progress is not None and not failed:
                now = _moving(chunks, results, shared)
                if now[0] and now != last:  # workers still starting, or nothing new: no call
                    progress(*now)
                    last = now
    if failed:
        first = min(failed)
        raise _globalize(failed[first], [results[i] for i in range(first)], chunks[first], src)
    return [results[c.index] for c in chunks]


class _ChunkFailure(Exception):
    """A record error of one chunk, carried across the process boundary with its parts."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(error)
        self.error = error

    def __reduce__(self) -> tuple[object, ...]:
        e = self.error
        return (_rebuild, (type(e), e.problem, e.record, e.path, e.position))


def _rebuild(
    cls: type[RecordError], problem: str, record: int | None, path: str, position: str | None
) -> _ChunkFailure:
    return _ChunkFailure(cls(problem, record=record, path=path, position=position))


def _convert_chunk(
    src: str, part: str, chunk: _Chunk, options: Options, source: str, target: str
) -> _ChunkDone:
    """Convert bytes ``[start, end)`` of ``src`` into the part file; runs in a worker."""
    decoder, encoder = _codecs(options, source, target)
    with open(src, "rb", buffering=0) as raw, open(part, "wb") as out:
        raw.seek(chunk.start)
        fin = io.BufferedReader(_Slice(raw, chunk.end - chunk.start), 1 << 20)
        reader = decoder.reader(fin)
        writer = encoder.writer_for_decoded(out)
        shared, slot = _shared, 2 * chunk.index
        try:
            tick = None
            if shared is not None:

                def tick(n: int) -> None:
                    # Read by the parent for its bar: plain stores, no lock (a torn read
                    # only shows a stale figure for one redraw).
                    shared[slot], shared[slot + 1] = n, raw.tell() - chunk.start

            pump(reader, writer, tick)
            # A chunk of blank lines holds no record: its part stays empty. Only the whole
            # output may be refused for holding none (see convert_chunked).
            if reader.count:
                writer.close()
        except RecordError as exc:
            raise _ChunkFailure(exc) from None
    return _ChunkDone(reader.count, getattr(reader, "line", 0))


class _Slice(io.RawIOBase):
    """At most ``limit`` bytes of a file from where it stands: a chunk looks like a whole file."""

    def __init__(self, f: BinaryIO, limit: int) -> None:
        self._f, self._left = f, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        n = self._f.readinto(memoryview(buf)[: min(len(buf), self._left)])  # type: ignore[attr-defined]
        self._left -= n
        return int(n)


_LINE = re.compile(r"^line (\d+)")
_BYTE = re.compile(r"^byte offset (\d+)")


def _globalize(exc: RecordError, before: list[_ChunkDone], chunk: _Chunk, src: str) -> RecordError:
    """A chunk's error, renumbered as the whole file counts records, lines and bytes."""
    if exc.record is not None:
        exc.record += sum(d.records for d in before)
    if exc.position:
        lines = sum(d.lines for d in before)
        exc.position = _LINE.sub(lambda m: f"line {int(m[1]) + lines}", exc.position)
        exc.position = _BYTE.sub(lambda m: f"byte offset {int(m[1]) + chunk.start}", exc.position)
    return exc.located(file=src)


def _append(part: BinaryIO, out: BinaryIO) -> None:
    """``part`` copied to the end of ``out``: by the kernel where it can (Linux's
    ``copy_file_range``: no pass through this process's memory), else read and written."""
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        out.flush()
        try:
            while copy(part.fileno(), out.fileno(), 1 << 30):
                pass
            return
        except OSError:  # not between these files (another file system, an old kernel)
            # Both files' offsets moved past what was copied, if anything: go on from there.
            part.seek(os.lseek(part.fileno(), 0, os.SEEK_CUR))
            out.seek(0, os.SEEK_END)
    shutil.copyfileobj(part, out, 1 << 20)


# -- shared ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _pool(workers: int, shared: Any = None) -> Iterator[ProcessPoolExecutor]:
    """A pool of workers that dies with the run: Ctrl-C or SIGTERM in the parent stops them.

    On success, or an ordinary failure, the pool is shut down as usual (tasks not started
    are cancelled, running ones finish). On KeyboardInterrupt or ``Terminated`` every
    worker is sent SIGTERM and waited for: each removes the temporary file it was writing
    and exits, so nothing appears after the parent has gone.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(_start_method()),
        initializer=_worker_init,
        initargs=(shared,),
    )
    try:
        yield pool
    except Exception as exc:
        pool.shutdown(wait=True, cancel_futures=True)
        if isinstance(exc, BrokenProcessPool):
            # A worker was killed from outside (SIGKILL, out of memory): one line, no traceback.
            raise FmtbenchError(f"a worker process died: {exc}") from None
        raise
    except BaseException:
        _stop(pool)
        raise
    else:
        pool.shutdown(wait=True)


#: Seconds a worker gets to remove its temporary file after SIGTERM before it is killed.
_STOP_GRACE = 10.0


def _stop(pool: ProcessPoolExecutor) -> None:
    # The processes are a private attribute, but the only handle on the workers; they must be
    # taken before shutdown, which forgets them.
    processes = list((pool._processes or {}).values())
    for process in processes:
        with contextlib.suppress(OSError):
            process.terminate()
    for process in processes:
        process.join(_STOP_GRACE)
        if process.is_alive():
            process.kill()
            process.join()
    # Only now, with every worker gone: the pool's manager thread sees them die and ends, and
    # joining it here keeps it from racing the interpreter's exit hook (which, on 3.11, can
    # then fail with "handle is closed" and print a traceback).
    pool.shutdown(wait=True, cancel_futures=True)


#: Whether this worker is inside a task (and has files to clean up), or idle between tasks.
_busy = False
_T = TypeVar("_T")


def _start_method() -> str:
    """``fork`` when it is safe and available, else ``spawn`` (see the module's docstring).

    With ``fork`` the pool starts all its workers at once, before its own manager thread, so
    checking the thread count here is enough.
    """
    return "fork" if can_fork() else "spawn"


#: In a worker: the counters the parent reads for its progress bar (records and bytes done,
#: two a chunk), or None.
_shared: Any = None


def _worker_init(shared: Any = None) -> None:
    """Signals in a worker: the parent alone decides to stop, and stops workers by SIGTERM."""
    global _shared
    _shared = shared
    # Ctrl-C reaches every process of the terminal's group; the parent handles it and then
    # stops the workers, so that they do not each unwind (and print) on their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)


def _worker_sigterm(signum: int, frame: FrameType | None) -> None:
    if _busy:
        raise Terminated(signum)  # unwinds through atomic_output, which removes its file
    os._exit(128 + signum)  # idle: nothing to clean up


def _task(fn: Callable[..., _T], *args: object) -> _T:
    """Run one task in a worker; a SIGTERM during it cleans up, then ends the worker.

    The worker exits rather than returning the exception: the pool would otherwise hand it
    the next queued task, and with it a new temporary file.
    """
    global _busy
    try:
        try:
            _busy = True
            return fn(*args)
        finally:
            _busy = False
    except Terminated as exc:
        os._exit(exc.status)


def _part(parts: str, chunk: _Chunk) -> str:
    return os.path.join(parts, f"{chunk.index:06d}.part")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError as exc:
        raise FileError(f"{path}: cannot read: {reason(exc)}") from None


def _moving(chunks: list[_Chunk], results: dict[int, _ChunkDone], shared: Any) -> tuple[int, int]:
    """Records and bytes done: finished chunks whole, running ones by their counters."""
    records = sum(r.records for r in results.values())
    done = _done_bytes(chunks, results)
    if shared is not None:
        for c in chunks:
            if c.index not in results:
                records += shared[2 * c.index]
                done += min(shared[2 * c.index + 1], c.end - c.start)
    return records, done


def _done_bytes(chunks: list[_Chunk], results: dict[int, _ChunkDone]) -> int:
    return sum(c.end - c.start for c in chunks if c.index in results)


def _offset(progress: Progress | None, records: int, done: int) -> Progress | None:
    """A file's progress, moved past the files converted before it."""
    if progress is None:
        return None
    report = progress
    return lambda n, b: report(records + n, done + b)


def _error(fut: Future[ConvertResult]) -> BaseException:
    exc = fut.exception()
    assert exc is not None
    return exc


__all__ = [
    "CHUNK_THRESHOLD",
    "Options",
    "can_split",
    "convert_chunked",
    "convert_many",
    "convert_one",
    "output_paths",
]
