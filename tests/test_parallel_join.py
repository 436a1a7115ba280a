"""The parts of a chunked conversion joined into the output (fmtbench/parallel.py ``_append``):
by the kernel where it can, else by reading and writing, and from where the kernel stopped if
it fails part way."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from fmtbench import parallel


def _files(tmp_path: Path) -> tuple[Path, Path]:
    part = tmp_path / "part"
    part.write_bytes(bytes(range(256)) * 5000)
    out = tmp_path / "out"
    out.write_bytes(b"head")
    return part, out


def _join(part: Path, out: Path) -> bytes:
    with open(part, "rb") as p, open(out, "ab") as o:
        o.write(b"+")  # buffered: must reach the file before the kernel copies after it
        parallel._append(p, o)
        o.write(b"!")
    return out.read_bytes()


def test_appended_by_the_kernel(tmp_path: Path) -> None:
    part, out = _files(tmp_path)
    assert _join(part, out) == b"head+" + part.read_bytes() + b"!"


@pytest.mark.parametrize("after", [0, 1, 3])
def test_a_kernel_copy_that_fails_goes_on_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    """Refused at once (another file system) or after some calls: the same bytes."""
    part, out = _files(tmp_path)
    real = os.copy_file_range
    calls = [0]

    def failing(src: int, dst: int, count: int, *args: Any) -> int:
        calls[0] += 1
        if calls[0] > after:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(src, dst, 1000)

    monkeypatch.setattr(os, "copy_file_range", failing)
    assert _join(part, out) == b"head+" + part.read_bytes() + b"!"


def test_without_a_kernel_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    part, out = _files(tmp_path)
    monkeypatch.delattr(os, "copy_file_range")
    assert _join(part, out) == b"head+" + part.read_bytes() + b"!"


def test_chunks_joined_into_a_file_and_into_a_device(tmp_path: Path) -> None:
    """Each part joined (and synced) as it comes: the one-process bytes; a device output,
    which cannot be synced, is written all the same."""
    from fmtbench.codecs import codec_for
    from fmtbench.generate import load_dataset
    from fmtbench.parallel import Options, convert_chunked, convert_one
    from fmtbench.schema.builtin import resolve_schema

    src = tmp_path / "in.jsonl"
    records = load_dataset("log").generator().records(3000)
    src.write_bytes(codec_for("jsonl", resolve_schema("log")).encode_many(list(records)))
    many, one = tmp_path / "many.pbd", tmp_path / "one.pbd"
    result = convert_chunked(str(src), str(many), Options("log"), workers=2, chunk_bytes=64 << 10)
    convert_one(str(src), str(one), Options("log"))
    assert result.records == 3000
    assert many.read_bytes() == one.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no part left
    device = Options("log", to_format="protobuf-delimited")
    result = convert_chunked(str(src), os.devnull, device, workers=2, chunk_bytes=64 << 10)
    assert result.records == 3000
