"""Move records from one format to another, validating every record on the way.

Lossless or an error: each record is decoded to its canonical value (which checks it
against the schema) and encoded again (which checks that the target can hold it).
"""

from __future__ import annotations

import gc
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from fmtbench.codecs import codec_for, format_for_path
from fmtbench.compress import compressing, compression, decompressing
from fmtbench.errors import RecordError, UsageError
from fmtbench.files import STDIO, atomic_output, open_input, refuse_same_file
from fmtbench.halves import sharing
from fmtbench.limits import DEFAULT_LIMITS, LimitedInput, Limits
from fmtbench.pump import pump
from fmtbench.schema.model import Schema

#: Called now and then with (records so far, input bytes read so far): drives a progress bar.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ConvertResult:
    records: int
    source_format: str
    target_format: str


def resolve_format(path: str, given: str | None, flag: str) -> str:
    if given:
        return given
    if path == STDIO:
        raise UsageError(f"reading or writing '-' needs {flag} FORMAT")
    return format_for_path(path)


def convert(
    src: str,
    dst: str,
    schema: Schema,
    *,
    type_name: str | None = None,
    from_format: str | None = None,
    to_format: str | None = None,
    drop_unknown: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    writer_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> ConvertResult:
    """Convert one file (or stdin/stdout), record by record: memory stays flat for every
    stream format (only a ``.json`` input is read whole). With ``workers`` above 1, a big
    batch message may have half of its list converted in a forked process (halves.py)."""
    source_format = resolve_format(src, from_format, "--from")
    target_format = resolve_format(dst, to_format, "--to")
    refuse_same_file(src, dst)
    decoder = codec_for(source_format, schema, type_name, drop_unknown=drop_unknown, limits=limits)
    encoder = codec_for(target_format, schema, type_name, limits=limits, options=writer_options)
    label = "<stdin>" if src == STDIO else src
    count = 0
    try:
        with (
            fewer_collections(),
            open_input(src) as packed,
            sharing(workers, _size(packed)),
            decompressing(packed, compression(src), label) as raw,
            atomic_output(dst) as packed_out,
            compressing(packed_out, compression(dst)) as fout,
        ):
            fin: BinaryIO = raw
            if limits.max_input_bytes is not None:
                # Counted while reading: a pipe has no size to check beforehand.
                fin = LimitedInput(raw, limits.max_input_bytes)  # type: ignore[assignment]
            reader = decoder.reader(fin)
            # One record in, one record out, where both formats have a one-record form.
            writer = encoder.writer_for_decoded(fout, single=reader.single)
            if progress is None:
                count = pump(reader, writer)
            else:
                tell = _teller(packed)  # the bytes read of the file, compressed or not
                count = pump(reader, writer, lambda n: progress(n, tell()))
                progress(count, tell())
            writer.close()
    except RecordError as exc:
        raise exc.located(file=label) from None
    return ConvertResult(count, source_format, target_format)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic collector run less often while records stream through: they are trees of
    plain values, which reference counting frees, yet a file read whole (a batch message,
    a ``.json`` array) makes the collector scan every one of them in full passes (three on
    100,000 ProtoJSON records: 11% of the CPU time of that conversion, measured with
    ``getrusage``). It still runs, after 100,000 new objects instead of 700."""
    old = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _size(f: BinaryIO) -> int | None:
    """The size of a regular file; None for a pipe or a device."""
    try:
        st = os.fstat(f.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _teller(f: BinaryIO) -> Callable[[], int]:
    """How far into the input we are; a pipe cannot say, so it reports 0."""
    try:
        f.tell()
    except (OSError, ValueError):
        return lambda: 0
    return f.tell
