"""Files and faults: a full disk, a size limit, unwritable or wrong paths, signals, a bad
record at the end of a million. Each failure is one line on stderr, a known exit status, no
traceback, and nothing left behind: no output, no temporary file, no part directory.

Most tests run the real CLI in a child process (``python -m fmtbench``), because what is
being tested is process-level: rlimits, signals, exit statuses, and what the directory holds
after the process has gone.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.parallel import CHUNK_THRESHOLD

CLI = [sys.executable, "-m", "fmtbench"]
#: The million-record file: this many records, the bad one this close to the end.
RECORDS = 1_000_000
BAD_RECORD = RECORDS - 9  # 1-based, as the error reports it


# -- helpers ---------------------------------------------------------------------------------
def fmtbench(
    *args: str | Path,
    preexec: Callable[[], None] | None = None,
    prefix: tuple[str, ...] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *CLI, *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=preexec,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Exit status 1, stdout empty, exactly one ``fmtbench: error:`` line holding ``parts``."""
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("fmtbench: error: ")
    for part in parts:
        assert part in lines[0]
    return lines[0]


def file_size_limit(limit: int) -> Callable[[], None]:
    """A child that may not grow any file past ``limit`` bytes.

    SIGXFSZ is ignored, so that a write past the limit fails with EFBIG instead of killing
    the process (Python ignores it too, but this must not depend on that).
    """

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def unprivileged() -> tuple[str, ...]:
    """A command prefix under which file permissions bind: root ignores them unless it gives
    up the capabilities that override them (for the child and its workers)."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def wait_for(predicate: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while not predicate():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the conversion ended ({proc.returncode}) before {what}: {err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the pool's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait a moment for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


# -- shared inputs ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def small(shared: Path) -> Path:
    """About 375 KB of log records in JSON Lines: enough to overrun small limits."""
    path = shared / "small.jsonl"
    assert main(["generate", "log", "-n", "1000", "-o", str(path), "-q"]) == 0
    return path


@pytest.fixture(scope="module")
def million(shared: Path) -> Path:
    """A million telemetry records (163 MB of JSON Lines), record ``BAD_RECORD`` bad.

    Built cheaply: one generated line repeated, and one copy with a string for a number.
    The signal tests use it too: they stop the conversion long before the bad record.
    """
    one = shared / "one.jsonl"
    assert main(["generate", "telemetry", "-n", "1", "-o", str(one), "-q"]) == 0
    line = one.read_bytes()
    bad = re.sub(rb'"gauge":[^,}]+', b'"gauge":"high"', line, count=1)
    assert bad != line
    path = shared / "million.jsonl"
    with path.open("wb") as f:
        f.write(line * (BAD_RECORD - 1))
        f.write(bad)
        f.write(line * (RECORDS - BAD_RECORD))
    assert path.stat().st_size > CHUNK_THRESHOLD  # so that --workers splits it
    one.unlink()
    return path


@pytest.fixture
def outdir(tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "out"
    out.mkdir()
    yield out
    for path in out.rglob("*"):  # let pytest remove what a test locked
        if path.is_dir():
            path.chmod(0o755)


# -- a full disk, a size limit ---------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["convert", "{small}", "{out}", "-s", "log", "-j", "1"],
        ["generate", "log", "-n", "2000", "-o", "{out}"],
    ],
    ids=["convert", "generate"],
)
def test_file_size_limit_is_one_line_and_leaves_the_old_output(
    small: Path, outdir: Path, command: list[str]
) -> None:
    """EFBIG at write: one line, status 1, the existing output untouched, no temporary file."""
    out = outdir / "out.msgpack"
    out.write_bytes(b"precious")
    args = [a.format(small=small, out=out) for a in command]
    done = fmtbench(*args, preexec=file_size_limit(64 << 10))
    assert_one_line_error(done, str(out), "cannot write", "file size limit")
    assert out.read_bytes() == b"precious"
    assert leftovers(outdir) == ["out.msgpack"]


def test_file_size_limit_hit_at_the_final_flush(small: Path, outdir: Path) -> None:
    """An output smaller than the write buffer reaches the disk only at flush: still caught."""
    src = outdir / "three.jsonl"
    src.write_bytes(b"".join(small.read_bytes().splitlines(keepends=True)[:3]))
    assert src.stat().st_size < 8 << 10  # all of it fits in the buffer
    done = fmtbench(
        "convert", src, outdir / "three.msgpack", "-s", "log", preexec=file_size_limit(100)
    )
    assert_one_line_error(done, "three.msgpack: cannot write", "file size limit")
    assert leftovers(outdir) == ["three.jsonl"]


def test_file_size_limit_in_chunked_workers(million: Path, outdir: Path) -> None:
    """Workers writing part files hit the limit: the parent reports it, parts are removed."""
    done = fmtbench(
        "convert",
        million,
        outdir / "m.pbd",
        "-s",
        "telemetry",
        "-j",
        "2",
        preexec=file_size_limit(1 << 20),
    )
    assert_one_line_error(done, "m.pbd: cannot write", "file size limit")
    assert leftovers(outdir) == []


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(
    not _unshare_works(), reason="cannot mount a private tmpfs (unshare -rm)"
)


def on_small_tmpfs(
    tmp_path: Path, size: str, command: list[str], *, fill: int = 0
) -> tuple[int, str, list[str]]:
    """Run ``command`` (``{disk}`` is the tmpfs) in a private mount namespace with a tmpfs of
    ``size``, optionally ``fill`` bytes of it taken first; return its status, its stderr and
    what the tmpfs holds afterwards. The mount vanishes with the namespace, whatever happens.
    """
    disk = tmp_path / "disk"
    disk.mkdir()
    err = tmp_path / "stderr.txt"
    args = " ".join(f"'{a.format(disk=disk)}'" for a in [*CLI, *command])
    filler = f"head -c {fill} /dev/zero > {disk}/filler && " if fill else ""
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {disk} && {filler}"
        f"{{ {args} 2> {err}; echo $?; ls -A {disk}; }}"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, check=False
    )
    assert done.stdout, done.stderr
    status, *listing = done.stdout.splitlines()
    return int(status), err.read_text(), [n for n in listing if n != "filler"]


@needs_tmpfs
@pytest.mark.parametrize(
    "command",
    [
        ["convert", "{small}", "{disk}/out.msgpack", "-s", "log", "-j", "1"],
        ["generate", "log", "-n", "2000", "-o", "{disk}/out.msgpack"],
        ["convert", "{million}", "{disk}/out.pbd", "-s", "telemetry", "-j", "2"],
    ],
    ids=["convert", "generate", "chunked"],
)
def test_disk_full_is_one_line_and_leaves_nothing(
    small: Path, million: Path, tmp_path: Path, command: list[str]
) -> None:
    """A real ENOSPC, on a 256 KB tmpfs: at write, in the generator, in chunk workers."""
    command = [a.replace("{small}", str(small)).replace("{million}", str(million)) for a in command]
    status, err, listing = on_small_tmpfs(tmp_path, "256k", command)
    assert status == 1, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("fmtbench: error: ")
    assert "cannot write: no space left on the device" in err
    assert listing == []


@needs_tmpfs
def test_disk_full_at_the_final_flush(small: Path, tmp_path: Path) -> None:
    """A full disk and an output small enough to sit in the buffer until the final flush."""
    src = tmp_path / "three.jsonl"
    src.write_bytes(b"".join(small.read_bytes().splitlines(keepends=True)[:3]))
    command = ["convert", str(src), "{disk}/three.msgpack", "-s", "log"]
    status, err, listing = on_small_tmpfs(tmp_path, "64k", command, fill=64 << 10)
    assert status == 1, err
    assert (
        err
        == f"fmtbench: error: {tmp_path}/disk/three.msgpack: cannot write: no space left on the device\n"
    )
    assert listing == []


class _FailingClose:
    """A written file whose close fails, as on NFS, where ENOSPC may first appear there."""

    def __init__(self, f: object) -> None:
        self._f = f

    def __getattr__(self, name: str) -> object:
        return getattr(self._f, name)

    def close(self) -> None:
        self._f.close()  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("step", ["fsync", "close"])
def test_disk_full_at_fsync_or_close(
    small: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """In process: the error a file system reports only at fsync or close is not lost."""
    if step == "fsync":

        def fsync(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr("fmtbench.files.os.fsync", fsync)
    else:
        real = os.fdopen
        monkeypatch.setattr(
            "fmtbench.files.os.fdopen", lambda fd, mode: _FailingClose(real(fd, mode))
        )
    out = tmp_path / "out.msgpack"
    status = main(["convert", str(small), str(out), "-s", "log", "-j", "1"])
    _, err = capsys.readouterr()
    assert status == 1
    assert err == f"fmtbench: error: {out}: cannot write: no space left on the device\n"
    assert leftovers(tmp_path) == []


# -- paths that cannot be read or written ----------------------------------------------------
@pytest.fixture
def permissions_bind(outdir: Path) -> None:
    """Skip where permissions are not enforced for the child (root without setpriv, say)."""
    probe = outdir / "locked"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        done = subprocess.run(
            [*unprivileged(), sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
            capture_output=True,
            check=False,
        )
    except OSError:
        pytest.skip("cannot run a child without privileges")
    finally:
        probe.rmdir()
    if done.returncode == 0:
        pytest.skip("file permissions are not enforced here")


@pytest.mark.usefixtures("permissions_bind")
def test_unwritable_directory(small: Path, outdir: Path) -> None:
    locked = outdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for command in (
        ["convert", small, locked / "out.msgpack", "-s", "log", "-j", "1"],
        ["generate", "log", "-n", "10", "-o", locked / "out.jsonl"],
    ):
        done = fmtbench(*command, prefix=unprivileged())
        assert_one_line_error(done, f"cannot write in {locked}: Permission denied")
    assert leftovers(locked) == []


@pytest.mark.usefixtures("permissions_bind")
def test_unwritable_directory_in_chunked_mode(million: Path, outdir: Path) -> None:
    locked = outdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    done = fmtbench(
        "convert", million, locked / "m.pbd", "-s", "telemetry", "-j", "2", prefix=unprivileged()
    )
    assert_one_line_error(done, f"cannot write in {locked}: Permission denied")
    assert leftovers(locked) == []


@pytest.mark.usefixtures("permissions_bind")
@pytest.mark.parametrize("size", [1000, CHUNK_THRESHOLD], ids=["one-process", "chunked"])
def test_unreadable_input(outdir: Path, size: int) -> None:
    """Named as an input that cannot be read, in one process or before splitting into chunks."""
    src = outdir / "secret.jsonl"
    with src.open("wb") as f:
        f.truncate(size)  # sparse: a big file for free; it is never read
    src.chmod(0o000)
    done = fmtbench(
        "convert", src, outdir / "o.pbd", "-s", "telemetry", "-j", "2", prefix=unprivileged()
    )
    assert_one_line_error(done, f"{src}: cannot read: Permission denied")
    assert leftovers(outdir) == ["secret.jsonl"]


def test_input_that_is_a_directory_or_missing(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    done = fmtbench("convert", folder, tmp_path / "o.pbd", "-s", "log")
    assert_one_line_error(done, f"{folder}: cannot read: it is a directory")
    done = fmtbench("convert", tmp_path / "gone.jsonl", tmp_path / "o.pbd", "-s", "log")
    assert_one_line_error(done, "gone.jsonl: cannot read: No such file or directory")
    assert leftovers(tmp_path) == ["folder.jsonl"]


def test_output_that_is_a_directory(tmp_path: Path) -> None:
    """Refused before anything is written (not after, when the rename fails)."""
    folder = tmp_path / "out.jsonl"
    folder.mkdir()
    done = fmtbench("generate", "log", "-n", "10", "-o", folder)
    assert_one_line_error(done, f"{folder}: cannot write: it is a directory")
    done = fmtbench("schema", "export", "log", "--to", "proto", "-o", folder)
    assert_one_line_error(done, f"{folder}: cannot write: it is a directory")
    assert leftovers(tmp_path) == ["out.jsonl"]
    assert leftovers(folder) == []


def test_input_is_never_opened_for_writing(small: Path, tmp_path: Path) -> None:
    """A read-only input (and its directory) converts: nothing asks to write to it."""
    src = tmp_path / "ro" / "in.jsonl"
    src.parent.mkdir()
    shutil.copy(small, src)
    src.chmod(0o444)
    src.parent.chmod(0o555)
    try:
        before = src.stat()
        done = fmtbench("convert", src, tmp_path / "out.msgpack", "-s", "log", "-j", "1")
        assert done.returncode == 0, done.stderr
        after = src.stat()
        assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    finally:
        src.parent.chmod(0o755)


# -- a bad record at the end of a million ----------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-process", "chunked"])
def test_bad_record_near_the_end_of_a_million(million: Path, outdir: Path, workers: str) -> None:
    """The error names the file, the record number and the field; nothing is written."""
    out = outdir / "million.pbd"
    started = time.monotonic()
    done = fmtbench("convert", million, out, "-s", "telemetry", "-j", workers)
    line = assert_one_line_error(done)
    assert line.startswith(
        f"fmtbench: error: {million}: record {BAD_RECORD}: line {BAD_RECORD}: gauge: "
    )
    assert "'high'" in line
    assert leftovers(outdir) == []
    assert time.monotonic() - started < 60


# -- signals ---------------------------------------------------------------------------------
def start(*args: str | Path) -> subprocess.Popen[str]:
    # A session of its own: a process group to signal as a terminal or a service manager would.
    return subprocess.Popen(
        [*CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc.returncode, err


def temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def part_files(directory: Path) -> list[Path]:
    return [p for d in directory.glob(".fmtbench-*") for p in d.iterdir()]


@pytest.mark.parametrize(
    ("signum", "expected", "message"),
    [
        (signal.SIGTERM, 143, "fmtbench: terminated\n"),
        (signal.SIGINT, 130, "fmtbench: interrupted\n"),
    ],
    ids=["sigterm", "sigint"],
)
def test_signal_removes_the_temporary_file(
    million: Path, outdir: Path, signum: int, expected: int, message: str
) -> None:
    """A signal mid-conversion: its status, at most one line, the old output untouched, no
    temporary file."""
    out = outdir / "million.pbd"
    out.write_bytes(b"precious")
    proc = start("convert", million, out, "-s", "telemetry", "-j", "1")
    wait_for(lambda: bool(temp_files(outdir)), proc, "the temporary file appeared")
    time.sleep(0.2)  # well into the writing
    proc.send_signal(signum)
    status, err = finish(proc)
    assert status == expected
    assert err == message
    assert out.read_bytes() == b"precious"
    assert leftovers(outdir) == ["million.pbd"]


@pytest.mark.parametrize("target", ["parent", "group"])
def test_sigterm_stops_chunk_workers_and_removes_their_parts(
    million: Path, outdir: Path, target: str
) -> None:
    """SIGTERM to the parent alone, or to the whole group: workers stop, parts are removed."""
    proc = start("convert", million, outdir / "m.pbd", "-s", "telemetry", "-j", "2")
    wait_for(lambda: bool(part_files(outdir)), proc, "the workers started writing")
    workers = children(proc.pid)
    assert workers
    if target == "parent":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
    status, err = finish(proc)
    assert status == 143
    assert err == "fmtbench: terminated\n"
    assert leftovers(outdir) == []
    time.sleep(0.5)  # a worker that survived would still be writing
    assert leftovers(outdir) == []
    assert not [pid for pid in workers if running(pid)]


@pytest.mark.parametrize(
    ("signum", "how", "expected"),
    [
        (signal.SIGTERM, "parent", 143),
        (signal.SIGINT, "group", 130),  # Ctrl-C: the terminal signals every process
    ],
    ids=["sigterm", "ctrl-c"],
)
def test_signal_with_many_files_leaves_no_temporary_file(
    million: Path, outdir: Path, signum: int, how: str, expected: int
) -> None:
    """Files converted in parallel: each worker removes its temporary output."""
    indir = outdir / "in"
    indir.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (indir / name).symlink_to(million)
    dest = outdir / "dest"
    dest.mkdir()
    proc = start(
        "convert", indir / "a.jsonl", indir / "b.jsonl", dest, "-s", "telemetry", "--to",
        "protobuf-delimited", "-j", "2",
    )  # fmt: skip
    wait_for(lambda: len(temp_files(dest)) == 2, proc, "both workers started writing")
    workers = children(proc.pid)
    if how == "parent":
        proc.send_signal(signum)
    else:
        os.killpg(proc.pid, signum)
    status, err = finish(proc)
    assert status == expected
    assert "Traceback" not in err
    assert len(err.splitlines()) <= 1, err
    time.sleep(0.5)
    assert leftovers(dest) == []
    assert not [pid for pid in workers if running(pid)]


def test_sigterm_handler_is_restored_after_main(tmp_path: Path) -> None:
    """``main`` installs its handler only for the run: a host program keeps its own."""
    sentinel = signal.getsignal(signal.SIGTERM)
    assert main(["generate", "log", "-n", "3", "-o", str(tmp_path / "x.jsonl"), "-q"]) == 0
    assert signal.getsignal(signal.SIGTERM) is sentinel


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_read_failure_names_the_input_not_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Reading /proc/self/mem from offset 0 fails with EIO: a real read error, mid-stream.
    out = tmp_path / "out.jsonl"
    status = main(
        ["convert", "/proc/self/mem", str(out), "--from", "jsonl", "-s", "log", "-j", "1"]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert err == "fmtbench: error: /proc/self/mem: cannot read: Input/output error\n"
    assert list(tmp_path.iterdir()) == []


# -- issue 12, item 24: the temporary name fits wherever the output's name fits -------------
@pytest.mark.parametrize("stem", ["a" * 250, "é" * 125, "🦜" * 62 + "ab"])
def test_an_output_name_at_the_file_systems_limit_is_written(tmp_path: Path, stem: str) -> None:
    import os

    from fmtbench.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1}\n')
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    room = name_max - len(".json")
    encoded = stem.encode()[:room]
    stem = encoded.decode("utf-8", "ignore")
    out = tmp_path / f"{stem}.json"
    assert main(["convert", str(src), str(out), "-s", "order", "--quiet"]) == 0
    assert out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, out.name])


def test_out_of_memory_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    # Issue 12, item 16: under `ulimit -v` a large record raised a MemoryError traceback.
    import subprocess
    import sys

    src = tmp_path / "big.jsonl"
    src.write_text('{"id": 1, "customer": {"name": "' + "x" * (100 << 20) + '"}}\n')
    out = tmp_path / "out.msgpack"
    # The limit is set once fmtbench is imported: what it has mapped, and 150 MB more.
    code = (
        "import resource, sys\n"
        "from fmtbench.cli import main\n"
        "size = next(int(line.split()[1]) for line in open('/proc/self/status')"
        " if line.startswith('VmSize:')) * 1024\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (150 << 20),) * 2)\n"
        f"sys.exit(main(['convert', {str(src)!r}, {str(out)!r}, '-s', 'order',"
        " '--max-record-bytes', '1G']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode == 0:
        pytest.skip("the conversion fitted in the memory allowed here")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "out of memory" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]


def test_orjsons_out_of_memory_is_not_called_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under `ulimit -v 600000` a 100 MB line made orjson say "Not enough memory to allocate
    # buffer for parsing", which was reported as malformed JSON: it is out of memory.
    import orjson

    from fmtbench.codecs.json import codec as json_codec

    def refuse(data: bytes) -> None:
        raise orjson.JSONDecodeError("Not enough memory to allocate buffer for parsing", "", 0)

    monkeypatch.setattr(json_codec.orjson, "loads", refuse)
    with pytest.raises(MemoryError):
        json_codec._loads(b"{}")
