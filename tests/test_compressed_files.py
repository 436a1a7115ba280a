"""Compressed inputs and outputs by their ending (issue 14): ``.gz``, ``.zst``, ``.bz2``."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest
import zstandard

from fmtbench.cli import main

OPEN = {
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".zst": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    return status, capsys.readouterr().err


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.jsonl"
    assert main(["generate", "order", "-n", "40", "--seed", "3", "-o", str(path), "-q"]) == 0
    return path


@pytest.mark.parametrize("ending", list(OPEN))
@pytest.mark.parametrize("fmt", ["jsonl", "json", "msgpack", "pbd", "xml", "protojsonl"])
def test_compressed_round_trip(
    capsys: pytest.CaptureFixture[str], orders: Path, tmp_path: Path, ending: str, fmt: str
) -> None:
    packed = tmp_path / f"o.{fmt}{ending}"
    back = tmp_path / f"back.jsonl{ending}"
    assert run(capsys, "convert", str(orders), str(packed), "-s", "order", "-q") == (0, "")
    plain = tmp_path / f"plain.{fmt}"
    assert main(["convert", str(orders), str(plain), "-s", "order", "-q"]) == 0
    assert OPEN[ending](packed.read_bytes()) == plain.read_bytes()  # really compressed
    assert run(capsys, "convert", str(packed), str(back), "-s", "order", "-q") == (0, "")
    assert OPEN[ending](back.read_bytes()) == orders.read_bytes()


def test_generate_writes_compressed(tmp_path: Path) -> None:
    out = tmp_path / "g.jsonl.gz"
    assert main(["generate", "order", "-n", "5", "-o", str(out), "-q"]) == 0
    assert gzip.decompress(out.read_bytes()).count(b"\n") == 5
    again = tmp_path / "h.jsonl.gz"
    assert main(["generate", "order", "-n", "5", "-o", str(again), "-q"]) == 0
    assert out.read_bytes() == again.read_bytes()  # no timestamp in the gzip header


@pytest.mark.parametrize(
    ("ending", "content", "problem"),
    [
        (".gz", b'{"id": 1}\n', "not valid gzip data, as its ending says"),
        (".zst", b'{"id": 1}\n', "not valid zstd data, as its ending says"),
        (".bz2", b"BZh9garbage", "not valid bzip2 data, as its ending says"),
        (".gz", None, "not valid gzip data, as its ending says"),  # cut short
    ],
)
def test_bad_compressed_input_names_the_input(
    capsys: pytest.CaptureFixture[str],
    orders: Path,
    tmp_path: Path,
    ending: str,
    content: bytes | None,
    problem: str,
) -> None:
    src = tmp_path / f"in.jsonl{ending}"
    src.write_bytes(content if content is not None else gzip.compress(orders.read_bytes())[:200])
    out = tmp_path / "out.msgpack"
    status, err = run(capsys, "convert", str(src), str(out), "-s", "order")
    assert status == 1
    assert err.startswith(f"fmtbench: error: {src}: ")
    assert problem in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_decompression_bomb_read_whole_stops_at_the_cap(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fmtbench import compress

    monkeypatch.setattr(compress, "WHOLE_CAP", 1 << 20)
    src = tmp_path / "bomb.json.gz"
    src.write_bytes(gzip.compress(b"[" + b" " * (4 << 20) + b"]"))
    assert src.stat().st_size < 20_000
    status, err = run(capsys, "convert", str(src), str(tmp_path / "o.msgpack"), "-s", "order")
    assert status == 1
    assert "decompresses to more than" in err
    assert "read whole: use a stream format" in err


@pytest.mark.parametrize("ending", list(OPEN))
def test_every_command_that_reads_records_takes_compressed_input(
    capsys: pytest.CaptureFixture[str], orders: Path, tmp_path: Path, ending: str
) -> None:
    import json

    packed = tmp_path / f"o.jsonl{ending}"
    assert main(["convert", str(orders), str(packed), "-s", "order", "-q"]) == 0
    capsys.readouterr()
    # schema infer
    draft = tmp_path / "o.yaml"
    assert main(["schema", "infer", str(packed), "-o", str(draft)]) == 0
    assert "messages:" in draft.read_text()
    # explain
    assert main(["explain", "--schema", "order", "--input", str(packed), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    # bench --input
    results = tmp_path / "r.json"
    args = ["bench", "--schema", "order", "--input", str(packed), "--quick", "--formats",
            "msgpack", "--json", str(results)]  # fmt: skip
    assert main(args) == 0
    assert json.loads(results.read_text())["datasets"][0]["records"] == 40
