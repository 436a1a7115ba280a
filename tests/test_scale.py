"""Conversions at scale: streaming in bounded memory, many files, one file in chunks, progress.

The streaming test runs each conversion in a child process whose address space is capped
(``RLIMIT_AS``) a little above what it needed for a tiny file of the same formats; the input
is larger than that margin, and the child proves the cap binds by failing to read the input
whole afterwards.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from fmtbench import parallel
from fmtbench.cli import main
from fmtbench.codecs import codec_for
from fmtbench.convert import convert
from fmtbench.errors import RecordError
from fmtbench.generate import load_dataset
from fmtbench.generate.generator import RecordGenerator
from fmtbench.parallel import Options, can_split, convert_chunked
from fmtbench.schema.builtin import resolve_schema

ROOT = Path(__file__).resolve().parent.parent
ENDING = {"jsonl": ".jsonl", "protobuf-delimited": ".pbd", "msgpack": ".msgpack", "xml": ".xml"}
#: Each streamed source format, and what it is converted to.
TARGET = {
    "jsonl": "protobuf-delimited",
    "protobuf-delimited": "msgpack",
    "msgpack": "xml",
    "xml": "jsonl",
}
BIG_RECORDS = 140_000  # about 52 MB of JSONL, 33 MB delimited protobuf, 65 MB of XML
HEADROOM = 24 << 20  # what the child may grow by over its tiny-file peak


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- streaming in bounded memory -------------------------------------------------------------
@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same records in every stream format, larger than the child's memory margin."""
    root = tmp_path_factory.mktemp("big")
    files = {"jsonl": root / "big.jsonl"}
    assert main(["generate", "log", "-n", str(BIG_RECORDS), "-o", str(files["jsonl"]), "-q"]) == 0
    for fmt in ("protobuf-delimited", "msgpack", "xml"):
        files[fmt] = root / f"big{ENDING[fmt]}"
        assert main(["convert", str(files["jsonl"]), str(files[fmt]), "-s", "log", "-q"]) == 0
    for fmt in ENDING:
        tiny = root / f"tiny{ENDING[fmt]}"
        main(["generate", "log", "-n", "50", "-o", str(tiny), "-q"])
    return files


CHILD = textwrap.dedent(
    """
    import resource, sys
    from fmtbench.cli import main

    src, tiny, dst, tiny_dst, headroom = sys.argv[1:6]
    # Warm up on a tiny file of the same formats, so that everything loaded lazily is loaded.
    assert main(["convert", tiny, tiny_dst, "-s", "log", "-j", "1", "-q"]) == 0
    peak = int(open("/proc/self/status").read().split("VmPeak:")[1].split()[0]) << 10
    limit = peak + int(headroom)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    status = main(["convert", src, dst, "-s", "log", "-j", "1", "-q"])
    try:
        with open(src, "rb") as f:
            f.read()
        binds = False
    except MemoryError:
        binds = True
    print(status, binds)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS")
@pytest.mark.parametrize("fmt", list(TARGET))
def test_stream_formats_convert_in_bounded_memory(
    big_files: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    src = big_files[fmt]
    assert src.stat().st_size > HEADROOM + (8 << 20)
    target = ENDING[TARGET[fmt]]
    dst, tiny_dst = tmp_path / f"out{target}", tmp_path / f"tiny-out{target}"
    tiny = src.parent / f"tiny{ENDING[fmt]}"
    args = [str(src), str(tiny), str(dst), str(tiny_dst), str(HEADROOM)]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    status, binds = proc.stdout.split()
    assert status == "0", proc.stderr
    assert binds == "True", "the memory cap does not bind: the test proves nothing"
    # Spot-check the output: the same number of records, the first one equal.
    codec = codec_for(TARGET[fmt], resolve_schema("log"))
    with dst.open("rb") as f:
        first = next(codec.reader(f))
    with src.open("rb") as f:
        assert next(codec_for(fmt, resolve_schema("log")).reader(f)) == first


# -- many files ------------------------------------------------------------------------------
def orders(path: Path, n: int, seed: int) -> None:
    assert (
        main(["generate", "order", "-n", str(n), "--seed", str(seed), "-o", str(path), "-q"]) == 0
    )


def test_many_inputs_with_workers_equal_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(3):
        orders(tmp_path / f"in{i}.jsonl", 200, i)
    pattern = str(tmp_path / "in*.jsonl")  # quoted by the user: expanded by fmtbench
    one, two = tmp_path / "one", tmp_path / "two"
    assert (
        cli(capsys, "convert", pattern, f"{one}/", "-s", "order", "--to", "msgpack", "-j", "1")[0]
        == 0
    )
    status, _, err = cli(
        capsys, "convert", pattern, str(two) + "/", "-s", "order", "--to", "msgpack", "-j", "2"
    )
    assert status == 0, err
    assert err.count("200 records jsonl -> msgpack") == 3
    names = sorted(p.name for p in one.iterdir())
    assert names == ["in0.msgpack", "in1.msgpack", "in2.msgpack"]
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes()


def test_many_inputs_stop_at_the_first_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(3):
        orders(tmp_path / f"in{i}.jsonl", 20, i)
    bad = tmp_path / "in1.jsonl"
    lines = bad.read_text().splitlines()
    lines[6] = json.dumps({"id": 7, "lines": [{"quantity": "many"}]})
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    inputs = [str(tmp_path / f"in{i}.jsonl") for i in range(3)]
    status, _, err = cli(
        capsys, "convert", *inputs, f"{out}/", "-s", "order", "--to", "xml", "-j", "1"
    )
    assert status == 1
    assert err.count("\n") == 1
    assert f"{bad}: record 7: line 7: lines[0].quantity" in err
    # The file before the failure is kept, whole; the failed one and the one after are not.
    assert sorted(p.name for p in out.iterdir()) == ["in0.xml"]
    # With workers the same error is reported; whatever else completed is whole.
    par = tmp_path / "par"
    status, _, err2 = cli(
        capsys, "convert", *inputs, f"{par}/", "-s", "order", "--to", "xml", "-j", "2"
    )
    assert (status, err2) == (1, err)
    kept = sorted(p.name for p in par.iterdir())
    assert "in1.xml" not in kept
    assert not [name for name in kept if name.startswith(".")]  # no temporary file left
    for name in kept:
        expected = tmp_path / f"one-{name}"
        convert(
            str(tmp_path / name.replace(".xml", ".jsonl")), str(expected), resolve_schema("order")
        )
        assert (par / name).read_bytes() == expected.read_bytes()


def test_a_directory_needs_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders(tmp_path / "a.jsonl", 2, 0)
    status, _, err = cli(
        capsys, "convert", str(tmp_path / "a.jsonl"), f"{tmp_path}/o/", "-s", "order"
    )
    assert status == 2
    assert "--to" in err


# -- one big file in chunks ------------------------------------------------------------------
@pytest.fixture(scope="module")
def chunky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON Lines file of a few thousand records, blank lines among them."""
    path = tmp_path_factory.mktemp("chunks") / "in.jsonl"
    assert main(["generate", "log", "-n", "3000", "--seed", "3", "-o", str(path), "-q"]) == 0
    lines = path.read_bytes().splitlines(keepends=True)
    for at in (10, 1200, 2500):
        lines.insert(at, b"  \n")
    path.write_bytes(b"".join(lines))
    return path


def chunked(src: Path, dst: Path) -> None:
    convert_chunked(str(src), str(dst), Options("log"), workers=2, chunk_bytes=64 << 10)


def single(src: Path, dst: Path) -> None:
    convert(str(src), str(dst), resolve_schema("log"))


@pytest.mark.parametrize("start", ["fork", "spawn"])
@pytest.mark.parametrize("via", [".jsonl", ".pbd"])
@pytest.mark.parametrize("to", [".pbd", ".msgpack", ".jsonl"])
def test_chunked_output_is_byte_identical(
    chunky: Path, tmp_path: Path, via: str, to: str, start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "_start_method", lambda: start)
    src = chunky if via == ".jsonl" else tmp_path / "in.pbd"
    if via == ".pbd":
        single(chunky, src)
    if via == to:
        return
    one, many = tmp_path / f"one{to}", tmp_path / f"many{to}"
    single(src, one)
    chunked(src, many)
    assert one.read_bytes() == many.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # parts removed


def test_workers_are_forked_only_from_a_single_thread() -> None:
    assert parallel._start_method() == "fork"  # pytest runs the tests in one thread
    stop = threading.Event()
    beside = threading.Thread(target=stop.wait)
    beside.start()
    try:
        # A fork copies the locks other threads hold (stderr's, a logger's).
        assert parallel._start_method() == "spawn"
    finally:
        stop.set()
        beside.join()


def test_a_file_of_a_few_megabytes_is_split_only_by_forked_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "mid.jsonl"
    with src.open("wb") as f:
        f.truncate(parallel.FORKED_CHUNK_THRESHOLD)  # only the size matters here
    assert can_split(str(src), str(tmp_path / "out.pbd"), Options("log"))
    monkeypatch.setattr(parallel, "_start_method", lambda: "spawn")
    assert not can_split(str(src), str(tmp_path / "out.pbd"), Options("log"))


def error_of(run: object, src: Path, dst: Path) -> str:
    with pytest.raises(RecordError) as info:
        run(src, dst)  # type: ignore[operator]
    assert not dst.exists()
    return str(info.value)


def test_chunked_errors_name_the_global_record_and_line(chunky: Path, tmp_path: Path) -> None:
    lines = chunky.read_bytes().splitlines(keepends=True)
    lines[2800] = b'{"status": "LOUD"}\n'
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b"".join(lines))
    expected = error_of(single, src, tmp_path / "one.pbd")
    assert "line 2801" in expected
    assert error_of(chunked, src, tmp_path / "many.pbd") == expected


def test_chunked_errors_name_the_global_byte_offset(chunky: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.pbd"
    single(chunky, good)
    data = good.read_bytes()
    codec = codec_for("protobuf-delimited", resolve_schema("log"))
    with good.open("rb") as f:
        reader = codec.reader(f)
        for _ in range(2700):
            next(reader)
        at = reader.offset  # type: ignore[attr-defined]
    src = tmp_path / "bad.pbd"
    src.write_bytes(data[:at] + b"\x02\xff\xff" + data[at:])
    expected = error_of(single, src, tmp_path / "one.jsonl")
    assert f"record 2701: byte offset {at}" in expected
    assert error_of(chunked, src, tmp_path / "many.jsonl") == expected


# -- progress --------------------------------------------------------------------------------
def test_progress_is_silent_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders(tmp_path / "a.jsonl", 50, 0)
    status, out, err = cli(
        capsys, "convert", str(tmp_path / "a.jsonl"), str(tmp_path / "a.pbd"), "-s", "order"
    )
    assert (status, out) == (0, "")
    head = f"50 records jsonl -> protobuf-delimited: {tmp_path / 'a.pbd'} ("
    assert err.startswith(head)
    assert err.endswith(" MB/s)\n")  # sizes, time and rate
    assert err.count("\n") == 1
    assert cli(
        capsys, "convert", str(tmp_path / "a.jsonl"), str(tmp_path / "b.pbd"), "-s", "order", "-q"
    ) == (0, "", "")


def test_progress_reports_records_and_bytes(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    orders(src, 5000, 0)
    seen: list[tuple[int, int]] = []
    convert(
        str(src),
        str(tmp_path / "a.pbd"),
        resolve_schema("order"),
        progress=lambda n, b: seen.append((n, b)),
    )
    assert seen[-1] == (5000, src.stat().st_size)
    assert seen == sorted(seen)


# -- the distributed example -----------------------------------------------------------------
def test_dask_example_converts_shards(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag")
    shards = tmp_path / "in"
    shards.mkdir()
    for i in range(3):
        orders(shards / f"part-{i}.jsonl", 30, i)
    example = runpy.run_path(str(ROOT / "docs" / "examples" / "dask_convert.py"))
    total = example["convert_shards"](
        str(shards / "*.jsonl"), str(tmp_path / "out"), "order", "msgpack"
    )
    assert total == 90
    for i in range(3):
        ours = tmp_path / f"ours-{i}.msgpack"
        single_order = resolve_schema("order")
        convert(str(shards / f"part-{i}.jsonl"), str(ours), single_order)
        assert (tmp_path / "out" / f"part-{i}.msgpack").read_bytes() == ours.read_bytes()


def test_the_progress_bar_runs_no_thread(tmp_path: Path) -> None:
    # So that chunk workers are forked (and files from 8 MiB split) on a terminal too.
    from fmtbench.cli.convert import progress_bar

    src = tmp_path / "a.jsonl"
    orders(src, 10, 0)
    before = threading.active_count()
    with progress_bar([str(src)], enabled=True) as progress:
        assert progress is not None
        progress(5, 100)
        assert threading.active_count() == before
        assert parallel._start_method() == "fork"


# -- issue 12, items 18 and 20: a chunked result always equals the one-process result ------
@pytest.mark.parametrize("to", [".pbd", ".msgpack", ".jsonl"])
def test_chunks_of_blank_lines_give_the_one_process_result(tmp_path: Path, to: str) -> None:
    # One record, 600,000 blank lines, one record: the chunks in between hold no record, and
    # used to refuse to write an empty part ("no records to write").
    one_record = codec_for("jsonl", resolve_schema("log")).encode_many(
        list(load_dataset("log").generator().records(1))
    )
    src = tmp_path / "sparse.jsonl"
    src.write_bytes(one_record + b"\n" * 600_000 + one_record)
    one, many = tmp_path / f"one{to}", tmp_path / f"many{to}"
    single(src, one)
    convert_chunked(str(src), str(many), Options("log"), workers=2, chunk_bytes=64 << 10)
    assert one.read_bytes() == many.read_bytes()


@pytest.mark.parametrize("to", [".pbd", ".msgpack", ".jsonl"])
def test_no_records_at_all_chunked_as_in_one_process(tmp_path: Path, to: str) -> None:
    src = tmp_path / "blank.jsonl"
    src.write_bytes(b"\n" * 300_000)
    one, many = tmp_path / f"one{to}", tmp_path / f"many{to}"
    try:
        single(src, one)
        expected: bytes | str = one.read_bytes()
    except RecordError as exc:
        expected = str(exc)
    try:
        convert_chunked(str(src), str(many), Options("log"), workers=2, chunk_bytes=64 << 10)
        got: bytes | str = many.read_bytes()
    except RecordError as exc:
        got = str(exc)
    assert got == expected
    assert not many.exists() or isinstance(got, bytes)


def test_a_recursive_schemas_chunked_error_names_the_whole_files_line(tmp_path: Path) -> None:
    # The depth-checked reader of a recursive schema hid the JSON Lines reader's line count,
    # so the lines of earlier chunks were lost from the error (issue 12, item 20).
    codec = codec_for("jsonl", resolve_schema("sensor"))
    records = list(RecordGenerator(resolve_schema("sensor"), seed=5, max_depth=3).records(400))
    good = codec.encode_many(records)
    bad = b'{"id": "not a number"}\n'
    src = tmp_path / "deep.jsonl"
    src.write_bytes(good * 6 + b"\n" * 50 + bad + good)
    with pytest.raises(RecordError) as one:
        convert(str(src), str(tmp_path / "one.pbd"), resolve_schema("sensor"))
    with pytest.raises(RecordError) as many:
        convert_chunked(
            str(src), str(tmp_path / "many.pbd"), Options("sensor"), workers=2, chunk_bytes=16 << 10
        )
    assert str(many.value) == str(one.value)
    assert f"line {6 * 400 + 51}" in str(one.value)


def test_chunked_progress_moves_with_records_inside_chunks(tmp_path: Path) -> None:
    """The bar of a --workers conversion moves as records are converted, not only as whole
    chunks finish: each worker publishes its counts, the parent reads them while it waits."""
    src = tmp_path / "big.jsonl"
    one = tmp_path / "one.jsonl"
    orders(one, 2000, 1)
    with src.open("wb") as f:
        for _ in range(10):  # ~9 MB: two chunks or more
            f.write(one.read_bytes())
    seen: list[tuple[int, int]] = []
    # To CBOR, the slowest writer per record (cbor2's canonical form): the chunks last long
    # enough for the parent's tenth-of-a-second reads even on a fast machine (MessagePack's
    # block path finished a chunk between two reads).
    result = convert_chunked(
        str(src), str(tmp_path / "o.cbor"), Options("order"), workers=2,
        progress=lambda records, done: seen.append((records, done)),
    )  # fmt: skip
    assert result.records == 20_000
    assert seen[-1] == (20_000, src.stat().st_size)
    assert seen == sorted(seen)  # never backwards
    assert all(r > 0 for r, _ in seen)
    # At most three chunks of 4 MiB or more: more reports than that came from inside them.
    assert len(seen) > 3, seen
