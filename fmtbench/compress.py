"""Compressed files, read and written transparently by their ending: ``.gz``, ``.zst``,
``.bz2`` (how logs and exports are usually stored).

``orders.jsonl.gz`` is JSON Lines, gzip-compressed: the format comes from the ending before
the compression's, and the bytes are decompressed while read and compressed while written,
as a stream (memory stays flat). gzip and bzip2 come with Python; zstd with ``zstandard``,
already a dependency for the compressed sizes ``bench`` measures.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO, cast

from fmtbench.errors import DecodeError, LimitError

#: The most a compressed input read whole (a .json document) may decompress to: a few
#: kilobytes of gzip can expand to gigabytes. Stream formats are read a record at a time
#: and have no such cap.
WHOLE_CAP = 1 << 30

#: Compression by file ending.
ENDINGS = {".gz": "gzip", ".zst": "zstd", ".bz2": "bzip2"}


def compression(path: str) -> str | None:
    """The compression a file name's last ending names, or None."""
    return ENDINGS.get(PurePath(path).suffix.lower())


def without_compression(path: str) -> str:
    """The name the format is read from: ``orders.jsonl.gz`` -> ``orders.jsonl``."""
    return path[: -len(PurePath(path).suffix)] if compression(path) else path


@contextlib.contextmanager
def decompressing(raw: BinaryIO, kind: str | None, name: str = "") -> Iterator[BinaryIO]:
    """``raw``'s bytes decompressed while read (``raw`` itself when ``kind`` is None);
    data that is not ``kind`` (or ends early) is a DecodeError naming ``name``."""
    if kind is None:
        yield raw
        return
    # Each library imported here, when a file needs it: not at every start.
    f: io.IOBase
    errors: tuple[type[Exception], ...] = (OSError, EOFError)
    if kind == "gzip":
        import gzip

        f = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bzip2":
        import bz2

        f = bz2.BZ2File(raw, mode="rb")
    else:
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
        f = io.BufferedReader(reader, 1 << 20)
        errors += (zstandard.ZstdError,)
    with f:
        yield cast(BinaryIO, _Checked(cast(BinaryIO, f), kind, name, errors))


class _Checked:
    """A decompressing reader whose failures say the data is not what its ending says."""

    #: Its reads may fail part way (corrupt data): see ``LimitedInput``.
    fails_part_way = True

    def __init__(
        self, f: BinaryIO, kind: str, name: str, errors: tuple[type[Exception], ...]
    ) -> None:
        self.f, self.kind, self.name, self.errors = f, kind, name, errors

    def _bad(self, exc: Exception) -> DecodeError:
        why = str(exc) or type(exc).__name__
        return DecodeError(f"not valid {self.kind} data, as its ending says: {why}", file=self.name)

    def read(self, size: int = -1) -> bytes:
        try:
            if size is not None and size >= 0:
                return self.f.read(size)
            # Read whole (a .json document): in pieces, so that a small file that expands
            # without end (a decompression bomb) stops at the cap instead of filling memory.
            parts, total = [], 0
            while piece := self.f.read(1 << 20):
                total += len(piece)
                if total > WHOLE_CAP:
                    raise LimitError(
                        f"decompresses to more than {WHOLE_CAP / 2**30:g} GiB, and this format"
                        " is read whole: use a stream format (.jsonl, .pbd, .msgpack)",
                        file=self.name,
                    )
                parts.append(piece)
            return b"".join(parts)
        except self.errors as exc:
            raise self._bad(exc) from None

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.f.readline(size)
        except self.errors as exc:
            raise self._bad(exc) from None

    def readinto(self, buffer: bytearray | memoryview) -> int:
        try:
            return self.f.readinto(buffer)  # type: ignore[attr-defined, no-any-return]
        except self.errors as exc:
            raise self._bad(exc) from None

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def __getattr__(self, name: str) -> object:
        return getattr(self.f, name)


@contextlib.contextmanager
def compressing(out: BinaryIO, kind: str | None) -> Iterator[BinaryIO]:
    """A file whose writes reach ``out`` compressed; closed (the stream ended) on success."""
    if kind is None:
        yield out
    elif kind == "gzip":
        import gzip

        # mtime=0: the same records give the same bytes.
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as f:
            yield cast(BinaryIO, f)
    elif kind == "bzip2":
        import bz2

        with bz2.BZ2File(out, mode="wb") as f:
            yield cast(BinaryIO, f)
    else:
        import zstandard

        writer = zstandard.ZstdCompressor().stream_writer(out, closefd=False)
        with writer:
            yield cast(BinaryIO, writer)
