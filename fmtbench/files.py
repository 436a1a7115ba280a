"""Files in and out: inputs are only ever read; outputs appear whole or not at all.

An output is written to a temporary file beside its target, flushed to disk, and renamed
over the target only when everything succeeded, so a failure (bad record, full disk,
Ctrl-C, SIGTERM) never leaves a half-written file and never touches an existing one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, cast

from fmtbench.errors import FileError, UsageError

STDIO = "-"
_READ_BUFFER = 1 << 20

#: Plain-words reasons for the errors a user can act on; strerror alone ("File too large")
#: does not say that a size limit, rather than the file, is the problem.
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system or the process's file size limit",
    errno.EROFS: "read-only file system",
}


class Terminated(BaseException):
    """The process was asked to stop by a signal (SIGTERM).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it
    and every ``atomic_output`` it unwinds through removes its temporary file.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def status(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + self.signum


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises ``Terminated`` in the main thread; the previous handler
    is restored on the way out.

    Only the first SIGTERM raises: a second one arriving while the first unwinds (removing
    temporary files) is ignored, so that cleanup runs to its end. SIGKILL still stops
    everything. Outside the main thread signals cannot be handled, so nothing is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        # None means a handler installed from C, which cannot be reinstated; default is closest.
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words a user can act on."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return exc.strerror or str(exc)


@contextlib.contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    if path == STDIO:
        if sys.stdin is None:  # started with standard input closed (<&-)
            raise FileError("<stdin>: cannot read: standard input is closed")
        yield sys.stdin.buffer
        return
    if os.path.isdir(path):
        raise FileError(f"{path}: cannot read: it is a directory")
    try:
        # A large buffer: stream readers take lines and frames a few bytes at a time.
        # Opened read-only: an input is never opened for writing, whatever happens.
        f = open(path, "rb", buffering=_READ_BUFFER)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FileError(f"{path}: cannot read: {reason(exc)}") from None
    with f:
        yield _ReadErrorsNamed(f, path)  # type: ignore[misc]


class _ReadErrorsNamed:
    """An input whose read failures (EIO, a vanished network file) say "cannot read" and
    name the input: ``atomic_output`` would otherwise report them as its own write failure."""

    def __init__(self, raw: BinaryIO, path: str) -> None:
        self.raw, self.path = raw, path

    def _failed(self, exc: OSError) -> FileError:
        return FileError(f"{self.path}: cannot read: {reason(exc)}")

    def read(self, size: int = -1) -> bytes:
        try:
            return self.raw.read(size)
        except OSError as exc:
            raise self._failed(exc) from None

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.raw.readline(size)
        except OSError as exc:
            raise self._failed(exc) from None

    def __getattr__(self, name: str) -> Any:  # tell, seek, seekable, fileno...
        return getattr(self.raw, name)


def refuse_same_file(src: str, dst: str) -> None:
    """Writing a file onto itself would destroy the input before it is read."""
    refuse_overwriting_inputs([dst], [src])


def refuse_overwriting_inputs(outputs: Iterable[str], inputs: Iterable[str | None]) -> None:
    """No output of a run may be any input of it: the same path, a path that resolves to
    it (a symbolic link, ``./``), or a hard link of it. The one check every command that
    reads files and writes one makes before it starts (a usage error, exit 2)."""
    given = [p for p in inputs if p and p != STDIO]
    resolved = {os.path.realpath(p): p for p in given}
    identity: dict[tuple[int, int], str] = {}
    for p in given:
        with contextlib.suppress(OSError, ValueError):
            st = os.stat(p)
            identity.setdefault((st.st_dev, st.st_ino), p)
    for out in outputs:
        if out == STDIO:
            continue
        src = resolved.get(os.path.realpath(out))
        if src is None:
            with contextlib.suppress(OSError, ValueError):
                st = os.stat(out)
                if stat.S_ISREG(st.st_mode):  # /dev/null read and written is no loss
                    src = identity.get((st.st_dev, st.st_ino))
        if src is not None:
            same = "" if src == out else f" ({src})"
            raise UsageError(f"output {out} is the input file{same}; choose another output path")


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it becomes ``path`` (or goes to stdout).

    Any failure (an exception in the caller, a full disk at write, flush, fsync or close,
    KeyboardInterrupt, ``Terminated``) removes the temporary file; an ``OSError`` becomes
    a one-line ``FileError`` naming ``path``.
    """
    if path == STDIO:
        if sys.stdout is None:  # started with standard output closed (>&-): say so first
            raise FileError("<stdout>: cannot write: standard output is closed")
        yield from _spooled_stdout()
        return
    existing = _existing(path)
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        # Checked first: otherwise the whole output would be written, then refused by rename.
        raise FileError(f"{path}: cannot write: it is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        # A device or a FIFO (/dev/null, a pipe's name) is written to, never replaced by a
        # regular file: there is nothing to rename over, so atomicity cannot apply.
        yield from _direct_output(path)
        return
    if existing is not None:
        _refuse_write_protected(path, existing)
    # A symbolic link keeps being a link: the file it points to is replaced atomically.
    target = Path(os.path.realpath(path))
    directory = target.parent
    # The name is chosen before the file is created, so that a signal arriving between the
    # creation and the next line still finds the name to remove (mkstemp returns it only
    # after creating the file, leaving a window in which it would leak).
    tmp: str | None = None
    f: BinaryIO | None = None
    stem = _temp_stem(target)
    try:
        fd = -1
        while fd < 0:
            tmp = str(directory / f".{stem}.{os.urandom(4).hex()}.tmp")
            try:
                # 0o666 minus the umask, as for any new file (mkstemp would make 0600).
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                tmp = None  # someone else's; never remove it
            except OSError as exc:
                tmp = None
                raise FileError(f"{path}: cannot write in {directory}: {reason(exc)}") from None
        assert tmp is not None  # the loop ends only once the file exists
        if existing is not None:
            _keep_mode_and_owner(fd, existing)
        f = os.fdopen(fd, "wb")
        yield f
        # ENOSPC and EFBIG may first appear here rather than at write: a file system may
        # accept writes into its cache and fail only at flush, fsync or close.
        f.flush()
        os.fsync(fd)
        f.close()
        os.replace(tmp, target)
        tmp = None
        _sync_directory(directory)
    except BaseException as exc:
        _discard(f)
        if tmp is not None:
            _remove(tmp)
        if isinstance(exc, OSError):
            raise FileError(f"{path}: cannot write: {reason(exc)}") from None
        raise


def _existing(path: str) -> os.stat_result | None:
    """What is at ``path`` now (links followed), or None."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileError(f"{path}: cannot write: {reason(exc)}") from None


def _refuse_write_protected(path: str, st: os.stat_result) -> None:
    """An existing output the user could not write (or, as root, one with no write bit
    at all, as ``rm`` asks before removing) is not replaced behind their back."""
    if not os.access(path, os.W_OK) or not st.st_mode & 0o222:
        raise FileError(
            f"{path}: cannot write: the file is write-protected (mode"
            f" {stat.S_IMODE(st.st_mode):04o}); remove it or make it writable first"
        )


def _keep_mode_and_owner(fd: int, st: os.stat_result) -> None:
    """The replacement takes the replaced file's mode, and its owner where permitted."""
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    with contextlib.suppress(OSError):
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, st.st_uid, st.st_gid)


def _direct_output(path: str) -> Iterator[BinaryIO]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise FileError(f"{path}: cannot write: {reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
    except OSError as exc:
        raise FileError(f"{path}: cannot write: {reason(exc)}") from None


def _spooled_stdout() -> Iterator[BinaryIO]:
    # Spool, so that a failure half-way prints nothing at all. A spool that outgrows memory
    # goes to an unnamed temporary file, which vanishes with the process whatever happens.
    try:
        with tempfile.SpooledTemporaryFile(max_size=64 << 20) as spool:
            yield cast(BinaryIO, spool)
            spool.seek(0)
            out = sys.stdout.buffer
            while chunk := spool.read(1 << 20):
                out.write(chunk)
            out.flush()
    except BrokenPipeError:
        raise  # the reader went away: the CLI exits quietly
    except OSError as exc:
        raise FileError(f"<stdout>: cannot write: {reason(exc)}") from None


def _discard(f: BinaryIO | None) -> None:
    """Close without flushing: the data is being thrown away, and a flush onto a full disk
    would only raise again (and replace the error being reported)."""
    if f is None or f.closed:
        return
    with contextlib.suppress(OSError, AttributeError, ValueError):
        cast(io.BufferedWriter, f).raw.close()
    with contextlib.suppress(OSError, ValueError):
        f.close()  # the raw file is closed, so this only marks the buffer closed


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; some file systems cannot, which is no failure."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: What a temporary name adds to the output's: a dot, and ".<8 hex digits>.tmp".
_TEMP_EXTRA = 15


def _temp_stem(target: Path) -> str:
    """The output's name, shortened (by bytes, whole characters) so that the temporary
    name fits wherever the output's name fits: a 250-character name must not fail with
    "File name too long" because of the 15 characters added to it."""
    try:
        name_max = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    encoded = os.fsencode(target.name)
    room = max(name_max - _TEMP_EXTRA, 1)
    if len(encoded) <= room:
        return target.name
    return os.fsdecode(encoded[:room].decode("utf-8", "ignore").encode("utf-8"))


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
