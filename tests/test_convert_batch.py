"""One Protobuf batch message converted to JSON in runs by forked workers (fmtbench/batch.py):
the same bytes as one process, or one process's own error, with no output left behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fmtbench import batch
from fmtbench.cli import main
from fmtbench.codecs import codec_for
from fmtbench.generate import load_dataset
from fmtbench.schema.builtin import resolve_schema

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="runs are forked on Linux only")


@pytest.fixture(scope="module")
def batch_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in ``log`` schema with a root ``Batch { events: list<AccessEvent> = 1 }``."""
    text = (ROOT / "fmtbench" / "schemas" / "log.yaml").read_text()
    text = text.replace("root: AccessEvent", "root: Batch")
    batch_type = "  Batch:\n    fields:\n      events: list<AccessEvent> = 1\n"
    text = text.replace("messages:\n", "messages:\n" + batch_type, 1)
    path = tmp_path_factory.mktemp("batch") / "batch.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "BATCH_THRESHOLD", 1)  # every message is split


def _message(schema: Path, count: int) -> bytes:
    records = list(load_dataset("log").generator().records(count))
    return codec_for("protobuf", resolve_schema(str(schema))).encode({"events": records})


def _convert(schema: Path, src: Path, dst: Path, *extra: str) -> int:
    return main(["convert", "-s", str(schema), "-q", *extra, str(src), str(dst)])


def _runs_used(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A list that says, per conversion, whether the runs were converted and joined."""
    used: list[bool] = []
    original = batch.convert_batch

    def spy(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)  # type: ignore[arg-type]
        used.append(result is not None)
        return result

    monkeypatch.setattr("fmtbench.cli.convert.convert_batch", spy)
    return used


@pytest.mark.parametrize("to", ["protojson", "json"])
@pytest.mark.parametrize("extra", [[], ["--proto-names"]])
@pytest.mark.usefixtures("small")
def test_runs_give_the_bytes_of_one_process(
    batch_schema: Path,
    tmp_path: Path,
    to: str,
    extra: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if to == "json" and extra:
        pytest.skip("--proto-names is ProtoJSON's")
    src = tmp_path / "batch.binpb"
    src.write_bytes(_message(batch_schema, 3001))
    used = _runs_used(monkeypatch)
    assert _convert(batch_schema, src, tmp_path / f"runs.{to}", "-j", "3", *extra) == 0
    assert _convert(batch_schema, src, tmp_path / f"one.{to}", "-j", "1", *extra) == 0
    assert used == [True, False]
    assert (tmp_path / f"runs.{to}").read_bytes() == (tmp_path / f"one.{to}").read_bytes()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


@pytest.mark.usefixtures("small")
def test_an_error_in_a_later_run_is_one_process_error(
    batch_schema: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = list(load_dataset("log").generator().records(2000))
    one = codec_for("protobuf", resolve_schema("log"))
    items = [one.encode(r) for r in records]
    items[1500] += b"\x98\x06\x01"  # field 99, unknown to AccessEvent: an error there
    src = tmp_path / "bad.binpb"
    src.write_bytes(b"".join(b"\x0a" + _varint(len(i)) + i for i in items))
    seen: list[list[bytes | None]] = []
    pieces = batch._pieces
    monkeypatch.setattr(batch, "_pieces", lambda parts, keys: seen.append(parts) or pieces(parts, keys))  # fmt: skip
    status_runs = _convert(batch_schema, src, tmp_path / "runs.json", "-j", "2")
    err_runs = capsys.readouterr().err
    status_one = _convert(batch_schema, src, tmp_path / "one.json", "-j", "1")
    err_one = capsys.readouterr().err
    assert [part is None for part in seen[0]] == [False, True]  # the runs were converted
    assert status_runs == status_one != 0
    assert err_runs == err_one
    assert "events[1500]" in err_one
    assert not (tmp_path / "runs.json").exists()
    assert not (tmp_path / "one.json").exists()


@pytest.mark.usefixtures("small")
def test_a_value_limit_over_the_whole_message_is_not_split_away(
    batch_schema: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "batch.binpb"
    src.write_bytes(_message(batch_schema, 2000))
    # Each run holds under the limit, the whole message over it.
    args = ["--max-record-values", "15000"]
    assert _convert(batch_schema, src, tmp_path / "runs.json", "-j", "2", *args) != 0
    err = capsys.readouterr().err
    assert "--max-record-values" in err
    assert not (tmp_path / "runs.json").exists()


def test_entries_are_the_message_or_nothing() -> None:
    one = b"\x0a\x02ab"
    assert batch._entries(one * 3, 1) == [0, 4, 8]
    long = b"\x0a\x80\x01" + b"x" * 128
    assert batch._entries(long + one, 1) == [0, len(long)]
    assert batch._entries(one + b"\x12\x00", 1) is None  # another field at the top level
    assert batch._entries(one[:-1], 1) is None  # cut short
    assert batch._entries(b"\x0a\xff\xff\xff\x01", 1) is None  # a length of four bytes


def test_runs_are_whole_entries_of_about_equal_bytes() -> None:
    starts = list(range(0, 100, 10))
    assert batch._runs(starts, 100, 2) == [(0, 50), (50, 100)]
    assert batch._runs(starts, 100, 3) == [(0, 40), (40, 70), (70, 100)]
    assert batch._runs([0], 100, 4) == [(0, 100)]
