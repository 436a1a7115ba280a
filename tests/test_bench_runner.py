"""The benchmark run end to end on a tiny dataset: structure and exact sizes, never timings."""

from __future__ import annotations

import dataclasses
import math
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import brotli
import orjson
import pytest
import zstandard

from fmtbench.bench import (
    DatasetSpec,
    Results,
    ResultsError,
    Settings,
    from_json,
    load,
    run,
    save,
    to_json,
)
from fmtbench.bench.results import TIMING_NAMES
from fmtbench.bench.runner import bench_formats, difference
from fmtbench.cli import main
from fmtbench.codecs import FORMATS as REGISTRY
from fmtbench.codecs import codec_for
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.generate import load_dataset

RECORDS = 20
SETTINGS = Settings(
    modes=("message", "batch"),
    quick=True,
    isolate=False,
    min_sample_seconds=0.0005,
    samples=2,
    warmups=1,
    unstable_spread=0.10,
)
NATIVE = {name for name in bench_formats() if REGISTRY[name].native is not None}
ORDER = DatasetSpec("profile", "order", RECORDS)


def order_records() -> list[dict[str, Any]]:
    return list(load_dataset("order").generator().records(RECORDS))


def cell_keys(results: Results) -> list[tuple[str, str, str, str]]:
    return [(c.dataset, c.format, c.step, c.status) for c in results.cells]


@pytest.fixture(scope="module")
def results() -> Results:
    return run([ORDER], bench_formats(), SETTINGS, command=["fmtbench", "bench", "order"])


def test_every_format_has_its_cells(results: Results) -> None:
    expected = []
    for fmt in bench_formats():
        expected.append(("order", fmt, "full", "ok"))
        if fmt in NATIVE:
            expected.append(("order", fmt, "native", "ok"))
    assert cell_keys(results) == expected
    assert [(d.name, d.schema, d.type, d.records, d.seed, d.source) for d in results.datasets] == [
        ("order", "shop.order", "Order", RECORDS, 1, "built-in")
    ]
    assert results.settings == SETTINGS
    assert results.command == ("fmtbench", "bench", "order")
    assert results.environment.protobuf_backend == "upb"
    assert {"protobuf", "lxml", "libxml2", "orjson", "msgpack", "zstandard", "brotli"} <= set(
        results.environment.libraries
    )


def test_timings_have_the_settings_shape(results: Results) -> None:
    for cell in results.cells:
        if cell.step == "full":
            assert tuple(cell.timings) == TIMING_NAMES
        elif cell.format == "xml":
            assert tuple(cell.timings) == ("message_decode",)  # lxml has no encoder to time
        else:
            assert tuple(cell.timings) == ("message_encode", "message_decode")
        for name, t in cell.timings.items():
            assert t.per == ("record" if name.startswith("message") else "batch")
            assert len(t.seconds) == SETTINGS.samples
            assert t.loops >= 1
            assert t.median > 0
            assert t.iqr >= 0
            assert t.mad >= 0


def test_sizes_are_the_real_batch_files(results: Results) -> None:
    records = order_records()
    for cell in results.cells:
        if cell.step == "native":
            assert cell.size is None
            assert cell.memory is None
            continue
        data = codec_for(
            REGISTRY[cell.format].batch_format or cell.format, load_dataset("order").schema
        ).encode_many(records)
        assert cell.size is not None
        assert cell.size.bytes == len(data)
        assert (cell.size.records, cell.size.bytes_per_record) == (RECORDS, len(data) / RECORDS)
        z = cell.size.compressed
        assert list(z) == ["zlib", "zstd", "brotli"]
        assert (z["zlib"].level, z["zlib"].bytes) == (6, len(zlib.compress(data, 6)))
        zstd_bytes = len(zstandard.ZstdCompressor(level=3).compress(data))
        assert (z["zstd"].level, z["zstd"].bytes) == (3, zstd_bytes)
        assert (z["brotli"].level, z["brotli"].bytes) == (5, len(brotli.compress(data, quality=5)))
        for c in z.values():
            assert c.ratio == len(data) / c.bytes
            assert c.compress_mb_s > 0
            assert c.decompress_mb_s > 0
        assert cell.memory is not None
        assert cell.memory.batch_decode_peak_bytes > 0


def test_a_codec_that_loses_a_field_fails_untimed(monkeypatch: pytest.MonkeyPatch) -> None:
    decode = JsonCodec.decode

    def lossy(self: JsonCodec, data: bytes) -> dict[str, Any]:
        record = decode(self, data)
        record.pop("customer")
        return record

    monkeypatch.setattr(JsonCodec, "decode", lossy)
    out = run([ORDER], ["json", "msgpack"], SETTINGS)
    full, native, other, _ = out.cells
    assert (full.format, full.step, full.status) == ("json", "full", "failed")
    assert full.error is not None
    assert "record 1" in full.error
    assert "customer" in full.error
    assert full.timings == {}
    assert full.size is None
    assert full.memory is None
    assert (native.step, native.status, native.timings) == ("native", "failed", {})
    assert (other.format, other.status) == ("msgpack", "ok")  # the run carries on


def test_results_file_round_trip(results: Results, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    save(results, str(path))
    assert load(str(path)) == results
    raw = orjson.loads(path.read_bytes())
    assert (raw["kind"], raw["version"]) == ("fmtbench-results", 1)
    assert raw["cells"][1]["error"] is None
    assert "size" not in raw["cells"][1]


def test_unknown_fields_are_ignored_unknown_versions_refused(results: Results) -> None:
    raw = orjson.loads(to_json(results))
    raw["later_addition"] = {"x": 1}
    raw["cells"][0]["timings"]["message_encode"]["p99"] = 1.0
    assert from_json(orjson.dumps(raw)) == results
    for key, value in (("version", 2), ("version", True), ("kind", "pyperf")):
        with pytest.raises(ResultsError, match=key if key == "version" else "not a fmtbench"):
            from_json(orjson.dumps({**raw, key: value}))
    with pytest.raises(ResultsError, match="malformed"):
        from_json(orjson.dumps({k: v for k, v in raw.items() if k != "cells"}))


def test_isolated_workers_give_the_same_cells(results: Results) -> None:
    isolated = run([ORDER], bench_formats(), dataclasses.replace(SETTINGS, isolate=True))
    assert cell_keys(isolated) == cell_keys(results)
    # The workers regenerated the very same records: the same bytes.
    for a, b in zip(isolated.cells, results.cells, strict=True):
        assert (a.size and a.size.bytes) == (b.size and b.size.bytes)
        assert tuple(a.timings) == tuple(b.timings)


def test_cli_writes_a_loadable_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.json"
    args = ["bench", "order", "-n", "20", "--quick", "--formats", "json,msgpack"]
    status = main([*args, "--mode", "batch", "--json", str(path)])
    _, err = capsys.readouterr()
    assert status == 0, err
    saved = load(str(path))
    assert [(c.format, c.step) for c in saved.cells] == [("json", "full"), ("msgpack", "full")]
    assert saved.settings.modes == ("batch",)
    assert saved.settings.quick
    assert set(saved.cells[0].timings) == {"batch_encode", "batch_decode"}
    assert saved.command[:2] == ("fmtbench", "bench")
    assert "--json" in saved.command
    assert f"results written to {path}" in err


def test_cli_benchmarks_records_from_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "mine.jsonl"
    schema = load_dataset("order").schema
    src.write_bytes(codec_for("jsonl", schema).encode_many(order_records()[:5]))
    out = tmp_path / "r.json"
    args = ["bench", "--schema", "order", "--input", str(src), "--formats", "protobuf"]
    status = main([*args, "--quick", "--mode", "message", "--json", str(out)])
    assert status == 0, capsys.readouterr().err
    (d,) = load(str(out)).datasets
    assert (d.name, d.records, d.seed, d.source) == ("mine", 5, None, str(src))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--formats", "yaml"], "unknown format 'yaml'"),
        (["--formats", "protobuf-delimited"], "unknown format"),
        (["--formats", ","], "no format to benchmark"),
        (["--input", "x.jsonl"], "--input needs --schema"),
        (["--mode", "stream"], "--mode must be"),
        (["-n", "0"], "--records must be at least 1"),
    ],
)
def test_cli_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "order", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_unknown_dataset_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "nosuch", "--quick"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no such dataset" in err


@pytest.mark.parametrize("other", ["profile", "input", "schema"])
def test_cli_refuses_two_datasets_of_one_name_before_measuring(
    other: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Reports show cells by dataset: the second "log" would merge into the first.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("dataset: log\nschema: log\n")
    (tmp_path / "events.yaml").write_text("dataset: AccessEvent\nschema: log\n")
    (tmp_path / "log.jsonl").write_bytes(b"")  # never read: refused first
    args = {
        "profile": ["log", "mine.yaml"],
        "input": ["log", "--input", "log.jsonl", "--schema", "log"],
        # Records made from a schema alone are named after their type.
        "schema": ["events.yaml", "--schema", "log"],
    }[other]
    measured = []
    monkeypatch.setattr("fmtbench.bench.runner.load", lambda *a, **k: measured.append(a))
    assert main(["bench", *args, "--json", "r.json"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "are both datasets named" in err
    assert not measured
    assert not (tmp_path / "r.json").exists()


def test_cli_refuses_an_unwritable_results_file_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "r.json"
    assert main(["bench", "order", "--json", str(target)]) == 1  # at once: no run to wait for
    assert "cannot write the results file" in capsys.readouterr().err


# -- the equality the round trip uses ------------------------------------------------------
def test_difference_is_canonical_equality() -> None:
    ts = datetime(2026, 1, 2, tzinfo=UTC)
    assert difference({"a": [math.nan, 1.5], "t": ts}, {"a": [math.nan, 1.5], "t": ts}) is None
    assert difference({"a": 1}, {"a": 1.0}) == "a: int 1 came back as float 1.0"
    assert difference({"a": True}, {"a": 1}) == "a: bool True came back as int 1"
    assert difference({"a": 0.0}, {"a": -0.0}) == "a: 0.0 came back as -0.0"
    assert difference({"a": [1, 2]}, {"a": [1, 3]}) == "a[1]: 2 came back as 3"
    assert difference({"m": {7: "x"}}, {"m": {7: "y"}}) == "m[7]: 'x' came back as 'y'"
    assert difference({"a": 1, "b": 2}, {"a": 1}) == "the record: lost ['b']"
    shifted = ts.astimezone(timezone(timedelta(hours=1)))  # the same instant, another offset
    assert difference(ts, shifted) == (
        "the record: 2026-01-02T00:00:00+00:00 came back as 2026-01-02T01:00:00+01:00"
    )
