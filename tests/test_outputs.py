"""What an output path is decides how it is written (issue 12, items 3 and 4).

A regular file is replaced atomically and keeps its mode (and owner where permitted); a
file the user could not write is refused; a device or FIFO is written to, never replaced;
a symbolic link stays a link and the file it points to is replaced. Every command writes
through ``files.atomic_output``; the CLI cases run through ``convert`` and one other
command that writes a file.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.errors import FileError
from fmtbench.files import atomic_output


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}\n')
    return path


def write_via(command: str, src: Path, out: Path) -> int:
    if command == "convert":
        return main(["convert", str(src), str(out), "--to", "jsonl", "-s", "order", "-q"])
    return main(["schema", "export", "order", "--to", "proto", "-o", str(out)])


@pytest.mark.parametrize("command", ["convert", "schema export"])
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o660, 0o755, 0o200])
def test_an_existing_output_keeps_its_mode(
    src: Path, tmp_path: Path, command: str, mode: int
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    out.chmod(mode)
    assert write_via(command, src, out) == 0
    assert out.read_text() != "old\n"
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_new_output_gets_0666_less_the_umask(src: Path, tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert write_via("convert", src, tmp_path / "new.jsonl") == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o640


@pytest.mark.parametrize("command", ["convert", "schema export"])
@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_write_protected_output_is_refused(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, mode: int
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("keep me\n")
    out.chmod(mode)
    assert write_via(command, src, out) == 1
    assert "write-protected" in capsys.readouterr().err
    out.chmod(0o600)
    assert out.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_dev_null_is_written_to_not_replaced(src: Path) -> None:
    assert main(["convert", str(src), "/dev/null", "--to", "json", "-s", "order", "-q"]) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_full_device_is_one_line(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    assert main(["convert", str(src), "/dev/full", "--to", "json", "-s", "order"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fmtbench: error: /dev/full: cannot write:")
    assert err.count("\n") == 1
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_device_node_of_our_own_stays_one(src: Path, tmp_path: Path) -> None:
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pytest.skip("making a device node needs root")
    assert main(["convert", str(src), str(node), "--to", "json", "-s", "order", "-q"]) == 0
    assert stat.S_ISCHR(node.stat().st_mode)


def test_a_fifo_is_written_to(src: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        assert main(["convert", str(src), str(fifo), "--to", "jsonl", "-s", "order", "-q"]) == 0
    finally:
        reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got[0].count(b"\n") == 2


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlink_stays_a_link_and_its_target_is_replaced(
    src: Path, tmp_path: Path, dangling: bool
) -> None:
    real = tmp_path / "real" / "target.jsonl"
    real.parent.mkdir()
    if not dangling:
        real.write_text("old\n")
        real.chmod(0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert main(["convert", str(src), str(link), "-s", "order", "-q"]) == 0
    assert link.is_symlink()
    assert real.read_text().count("\n") == 2
    if not dangling:
        assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["target.jsonl"]  # no temp left


def test_a_failed_write_to_a_link_leaves_the_target(tmp_path: Path) -> None:
    real = tmp_path / "target.bin"
    real.write_bytes(b"precious")
    link = tmp_path / "link.bin"
    link.symlink_to(real)

    def fail_half_way() -> None:
        with atomic_output(str(link)) as f:
            f.write(b"half")
            raise RuntimeError("the conversion failed")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert real.read_bytes() == b"precious"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.bin", "target.bin"]


def test_a_directory_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="it is a directory"), atomic_output(str(tmp_path)):
        pass
