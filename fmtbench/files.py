"""Files in and out: inputs are only ever read; outputs appear whole or not at all.

An output is written to a temporary file beside its target, flushed to disk, and renamed
over the target only when everything succeeded, so a failure (bad record, full disk,
Ctrl-C) never leaves a half-written file and never touches an existing one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fmtbench.errors import FileError, UsageError

STDIO = "-"
_READ_BUFFER = 1 << 20


@contextlib.contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    if path == STDIO:
        yield sys.stdin.buffer
        return
    try:
        # A large buffer: stream readers take lines and frames a few bytes at a time.
        f = open(path, "rb", buffering=_READ_BUFFER)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        yield f


def refuse_same_file(src: str, dst: str) -> None:
    """Writing a file onto itself would destroy the input before it is read."""
    if STDIO in (src, dst):
        return
    same = os.path.realpath(src) == os.path.realpath(dst)
    if not same and os.path.exists(dst):
        with contextlib.suppress(OSError):
            same = os.path.samefile(src, dst)
    if same:
        raise UsageError(f"output {dst} is the input file; choose another output path")


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it becomes ``path`` (or goes to stdout)."""
    if path == STDIO:
        # Spool, so that a failure half-way prints nothing at all.
        with tempfile.SpooledTemporaryFile(max_size=64 << 20) as spool:
            yield spool  # type: ignore[misc]
            spool.seek(0)
            out = sys.stdout.buffer
            while chunk := spool.read(1 << 20):
                out.write(chunk)
            out.flush()
        return
    target = Path(path)
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise FileError(f"{path}: cannot write in {directory}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a new file should honour the umask
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise FileError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
