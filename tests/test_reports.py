"""Views of a saved results file: terminal, Markdown, CSV, HTML, charts, compare, recommend.

Everything reads tests/data/results_v1.json, a hand-built file that follows docs/results.md:
two datasets (log, telemetry), five formats, a native protobuf row, an unstable timing
(log json message_decode) and a failed cell (telemetry xml).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fmtbench.bench import view
from fmtbench.bench.compare import compare, compare_lines
from fmtbench.bench.plot import PlotUnavailable, available, plot
from fmtbench.bench.recommend import parse_bandwidth, parse_weights, recommend, recommend_lines
from fmtbench.bench.render_html import to_html
from fmtbench.bench.render_terminal import BEST, render_terminal
from fmtbench.bench.render_text import to_csv, to_markdown
from fmtbench.bench.results import Results, from_dict
from fmtbench.cli import main
from fmtbench.errors import UsageError

FIXTURE = Path(__file__).resolve().parent / "data" / "results_v1.json"
PNG = b"\x89PNG\r\n\x1a\n"
FORMATS = ("protobuf", "json", "jsonl", "xml", "msgpack")


def raw() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def results() -> Results:
    return from_dict(raw(), str(FIXTURE))


def cell(doc: dict[str, Any], dataset: str, fmt: str, step: str = "full") -> dict[str, Any]:
    return next(
        c for c in doc["cells"] if (c["dataset"], c["format"], c["step"]) == (dataset, fmt, step)
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- Markdown and CSV ------------------------------------------------------------------------
def test_markdown_has_the_environment_first_and_one_row_per_cell(results: Results) -> None:
    md = to_markdown(results)
    head = md.split("\n## ", 1)[0]
    assert "**protobuf backend**: upb" in head
    assert "CPython 3.11.7" in head
    assert "orjson 3.13.0" in head
    body = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    data_rows = [line for line in body if not line.startswith("| format |")]
    assert len(data_rows) == len(raw()["cells"])
    failed = next(line for line in data_rows if line.startswith("| xml |") and "failed" in line)
    assert "record 412: value: -0.0 decoded as 0.0" in failed


def test_markdown_bolds_the_best_and_marks_unstable(results: Results) -> None:
    md = to_markdown(results)
    log_json = next(line for line in md.splitlines() if line.startswith("| json | fmtbench"))
    assert "~2,593" in log_json  # message_decode is unstable in the fixture
    log_protobuf = next(line for line in md.splitlines() if line.startswith("| protobuf |"))
    assert "**96.4**" in log_protobuf  # smallest bytes/record of log


def test_markdown_escapes_what_would_break_a_table() -> None:
    doc = raw()
    cell(doc, "telemetry", "xml")["error"] = "a | b\nc"
    md = to_markdown(from_dict(doc))
    row = next(line for line in md.splitlines() if line.startswith("| xml |") and "a \\|" in line)
    assert row.count(" | ") == 10  # eleven cells, the pipe in the error escaped


def test_csv_parses_and_carries_the_computed_figures(results: Results) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    doc = raw()
    assert len(rows) == len(doc["cells"])
    by_key = {(r["dataset"], r["format"], r["implementation"], r["step"]): r for r in rows}
    for c in doc["cells"]:
        row = by_key[(c["dataset"], c["format"], c["implementation"], c["step"])]
        assert row["status"] == c["status"]
        t = c["timings"]
        if "message_decode" in t:
            assert float(row["message_decode_ns_per_record"]) == t["message_decode"]["median"] * 1e9
            assert row["message_decode_unstable"] == str(t["message_decode"]["unstable"]).lower()
        if "batch_encode" in t:
            size = c["size"]
            median = t["batch_encode"]["median"]
            assert float(row["batch_encode_mb_s"]) == size["bytes"] / median / 1e6
            assert float(row["batch_encode_records_s"]) == size["records"] / median
        if "size" in c:
            assert float(row["bytes_per_record"]) == c["size"]["bytes_per_record"]
            assert float(row["zstd_ratio"]) == c["size"]["compressed"]["zstd"]["ratio"]
            peak = c["memory"]["batch_decode_peak_bytes"]
            assert int(row["batch_decode_peak_bytes"]) == peak
        else:
            assert row["bytes"] == ""
    assert by_key[("telemetry", "xml", "fmtbench (lxml)", "full")]["error"].startswith("record 412")


# -- Terminal --------------------------------------------------------------------------------
def _tables(results: Results) -> list[Table]:
    return [t for t in render_terminal(results) if isinstance(t, Table) and t.title]


def _column(table: Table, key: str) -> list[Text]:
    """The cells of the column of a metric (by its key), or of the format column."""
    index = 0 if key == "format" else 2 + [m.key for m in view.METRICS].index(key)
    return list(table.columns[index].cells)  # type: ignore[arg-type]


def test_the_best_of_each_column_is_the_one_highlighted(results: Results) -> None:
    figures = _tables(results)[0]  # log
    assert "log" in str(figures.title)
    fmt = [str(c) for c in _column(figures, "format")]
    for header, winner in [
        ("bytes_per_record", "protobuf"),
        ("message_decode_ns", "msgpack"),
        ("batch_encode_ns", _fastest_batch(results, "log", "batch_encode")),
        ("batch_decode_ns", _fastest_batch(results, "log", "batch_decode")),
    ]:
        styled = [fmt[i] for i, c in enumerate(_column(figures, header)) if c.style == BEST]
        assert styled == [winner], header
    # The native row is faster than every full row, but it never competes.
    native = fmt.index("protobuf") + 1
    assert _column(figures, "message_encode_ns")[native].style != BEST


def test_terminal_marks_unstable_and_failed_cells(results: Results) -> None:
    console = Console(record=True, width=200)
    for r in render_terminal(results):
        console.print(r)
    text = console.export_text()
    assert "~2,593" in text
    assert "~ unstable: IQR/median above 10%" in text
    assert "xml fmtbench (lxml) failed: record 412: value: -0.0 decoded as 0.0" in text
    assert "protobuf (upb) [native]" in text


def test_relative_table_puts_the_best_at_one(results: Results) -> None:
    relative = _tables(results)[1]
    assert "relative" in str(relative.title)
    fmt = [str(c) for c in _column(relative, "format")]
    sizes = [str(c) for c in _column(relative, "bytes_per_record")]
    assert sizes[fmt.index("protobuf")] == "1.00x"
    assert sizes[fmt.index("json")] == f"{212.7 / 96.4:.2f}x"
    batch = [str(c) for c in _column(relative, "batch_encode_ns")]
    per_record = _batch_per_record(results, "log", "batch_encode")
    fastest = min(per_record.values())
    assert batch[fmt.index(_fastest_batch(results, "log", "batch_encode"))] == "1.00x"
    assert batch[fmt.index("xml")] == f"{per_record['xml'] / fastest:.2f}x"


def _batch_per_record(results: Results, dataset: str, timing: str) -> dict[str, float]:
    """Seconds per record of a batch timing, by format, for the full rows that succeeded."""
    out = {}
    for c in results.cells:
        if c.dataset == dataset and c.step == "full" and c.status == "ok" and timing in c.timings:
            out[c.format] = c.timings[timing].median / c.size.records
    return out


def _fastest_batch(results: Results, dataset: str, timing: str) -> str:
    per_record = _batch_per_record(results, dataset, timing)
    return min(per_record, key=per_record.__getitem__)


# -- HTML and charts -------------------------------------------------------------------------
def test_html_parses_and_names_every_dataset_and_format(results: Results) -> None:
    import lxml.html

    page = to_html(results)
    tree = lxml.html.document_fromstring(page)
    text = tree.text_content()
    for name in ("log", "telemetry", *FORMATS, "upb"):
        assert name in text
    # The verdict, the sizes against the smallest, then one detail table per dataset.
    assert len(tree.findall(".//table")) == 2 + 2
    assert len(tree.xpath("//svg[@class='chart']")) == 2 * 2  # size and time, per dataset


def test_html_escapes_strings_from_the_file() -> None:
    doc = raw()
    cell(doc, "telemetry", "xml")["error"] = "<script>alert(1)</script>"
    doc["datasets"][0]["name"] = "<b>log</b>"
    for c in doc["cells"]:
        if c["dataset"] == "log":
            c["dataset"] = "<b>log</b>"
    doc["cells"][0]["format"] = '"><img src=x onerror=alert(1)>'
    page = to_html(from_dict(doc))
    assert "<script>" not in page
    assert "<b>log</b>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page


def test_html_draws_its_charts_without_matplotlib(
    results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    page = to_html(results)
    assert page.count('<svg class="chart"') == 4  # inline SVG needs no library
    assert "data:image" not in page  # nothing to decode, nothing fetched


def test_plot_writes_a_png_made_by_matplotlib(results: Results, tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    plot(results, str(out))
    data = out.read_bytes()
    assert data.startswith(PNG)
    assert b"Matplotlib" in data[:400]  # the tEXt "Software" chunk matplotlib writes


def test_plot_without_matplotlib_is_an_install_hint(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(PlotUnavailable, match=r"pip install 'fmtbench\[plot\]'"):
        plot(results, str(tmp_path / "c.png"))
    assert not (tmp_path / "c.png").exists()


# -- compare ---------------------------------------------------------------------------------
def scale(t: dict[str, Any], factor: float) -> None:
    """A timing slower (or faster) by ``factor``: every sample, as a real change moves them."""
    t["seconds"] = [s * factor for s in t["seconds"]]
    for key in ("median", "iqr", "mad"):
        t[key] *= factor


def test_identical_runs_flag_nothing(results: Results) -> None:
    c = compare(results, results)
    assert c.rows
    assert not c.changed
    assert not c.only_old
    assert not c.only_new
    assert not c.notes


def test_one_doubled_timing_is_the_only_change() -> None:
    doc = raw()
    scale(cell(doc, "log", "msgpack")["timings"]["batch_decode"], 2)
    c = compare(from_dict(raw()), from_dict(doc))
    assert [(x.dataset, x.format, x.metric, x.verdict) for x in c.changed] == [
        ("log", "msgpack", "batch_decode ns/record", "worse")
    ]
    assert math.isclose(c.changed[0].ratio, 2.0)


def test_a_change_inside_the_interval_is_not_flagged() -> None:
    doc = raw()  # log json message_decode's samples spread 17%: a 4% shift is noise
    t = cell(doc, "log", "json")["timings"]["message_decode"]
    scale(t, 1.04)
    assert not compare(from_dict(raw()), from_dict(doc)).changed
    scale(t, 1.25)  # 30% now: the whole interval is beyond 5%
    (change,) = compare(from_dict(raw()), from_dict(doc)).changed
    assert change.interval is not None
    assert change.interval[0] > 1.05


def test_cells_in_one_file_only_are_listed() -> None:
    doc = raw()
    doc["cells"] = [c for c in doc["cells"] if c["format"] != "jsonl"]
    c = compare(from_dict(raw()), from_dict(doc))
    assert c.only_old == [
        ("log", "jsonl", "fmtbench (orjson)", "full"),
        ("telemetry", "jsonl", "fmtbench (orjson)", "full"),
    ]
    assert "only in old: log jsonl fmtbench (orjson)" in compare_lines(c)


# -- recommend -------------------------------------------------------------------------------
def test_size_heavy_weights_pick_the_smallest_and_decode_heavy_the_fastest(
    results: Results,
) -> None:
    by_size = recommend(results, {"size": 10, "decode": 1, "encode": 1}, dataset="log")[0]
    assert by_size.ranked[0].label == "protobuf"
    by_decode = recommend(results, {"size": 0, "decode": 10, "encode": 1}, dataset="log")[0]
    assert by_decode.ranked[0].label == "msgpack"
    only_size = recommend(results, {"size": 1})[1]  # telemetry: the failed xml is skipped
    assert only_size.ranked[0].score == 1.0
    assert only_size.skipped == ["xml fmtbench (lxml): failed"]


def test_score_is_the_weighted_geometric_mean(results: Results) -> None:
    rec = recommend(results, {"size": 2, "decode": 1}, dataset="log")[0]
    json_ = next(r for r in rec.ranked if r.label == "json")
    expected = ((212.7 / 96.4) ** 2 * (2.59279 / 2.21199)) ** (1 / 3)
    assert math.isclose(json_.score, expected, rel_tol=1e-9)


def test_bottleneck_bandwidth_starved(results: Results) -> None:
    # log protobuf: 96.4 bytes and 2770.4 + 3343.54 ns per record. At 20,000 msgs/s over
    # 1 MB/s the link needs 1.928 MB/s (192.8%) while CPU is 0.122 core: bandwidth-bound.
    rec = recommend(results, {"size": 1}, bandwidth="1MB/s", rate=20_000, dataset="log")[0]
    load = next(r.load for r in rec.ranked if r.label == "protobuf")
    assert load is not None
    assert math.isclose(load.link, 96.4 * 20_000 / 1e6)
    assert math.isclose(load.cpu, (2770.4e-9 + 3343.54e-9) * 20_000)
    assert load.bottleneck == "bandwidth"
    assert not load.fits
    assert math.isclose(load.max_rate, 1e6 / 96.4)


def test_bottleneck_cpu_starved(results: Results) -> None:
    # log xml: 14367.2 + 21646.1 ns per record = 27,768 msgs/s on one core; at 100,000 msgs/s
    # over 10 Gbit (1.25 GB/s) the link carries 3.1% but the CPU needs 3.6 cores.
    rec = recommend(results, bandwidth="10Gbit", rate=100_000, dataset="log")[0]
    load = next(r.load for r in rec.ranked if r.label == "xml")
    assert load is not None
    cpu_per_msg = 14367.2e-9 + 21646.1e-9
    assert math.isclose(load.cpu, cpu_per_msg * 100_000)
    assert load.bottleneck == "CPU"
    assert not load.fits
    assert math.isclose(load.headroom, 1 / cpu_per_msg / 100_000)


@pytest.mark.parametrize(
    ("text", "bytes_per_s"),
    [
        ("100Mbit", 12.5e6),
        ("1Gbit", 125e6),
        ("1Gbps", 125e6),
        ("10MB/s", 10e6),
        ("100 Mbit/s", 12.5e6),
        ("8kbit", 1e3),
        ("1KiB/s", 1024.0),
        ("2.5e3B", 2500.0),
    ],
)
def test_bandwidth_units(text: str, bytes_per_s: float) -> None:
    assert parse_bandwidth(text) == bytes_per_s


@pytest.mark.parametrize("text", ["100", "fast", "10 MHz", "-5Mbit", ""])
def test_bad_bandwidth_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="bad bandwidth"):
        parse_bandwidth(text)


def test_weights_parse_and_refuse_nonsense() -> None:
    assert parse_weights("size=2, decode=1,encode=0.5") == {
        "size": 2.0,
        "decode": 1.0,
        "encode": 0.5,
    }
    for bad in ("speed=1", "size", "size=-1", "size=0"):
        with pytest.raises(UsageError):
            parse_weights(bad)


# -- the command line ------------------------------------------------------------------------
def test_cli_report_terminal_markdown_csv(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "report", str(FIXTURE))
    assert (status, err) == (0, "")
    assert "log: 1,000 AccessEvent records" in out
    assert "relative to the best" in out
    status, out, _ = run(capsys, "report", str(FIXTURE), "--markdown")
    assert status == 0
    assert out.startswith("# fmtbench results\n")
    status, out, _ = run(capsys, "report", str(FIXTURE), "--csv")
    assert status == 0
    assert out.startswith("dataset,format,")


def test_cli_report_writes_files_by_flag_or_ending(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "r.html"
    assert run(capsys, "report", str(FIXTURE), "-o", str(page)) == (0, "", "")
    assert page.read_text().startswith("<!DOCTYPE html>")
    md = tmp_path / "r.txt"
    assert run(capsys, "report", str(FIXTURE), "--markdown", "-o", str(md))[0] == 0
    assert md.read_text().startswith("# fmtbench results")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["report", "{f}", "--csv", "--html"], 2, "choose one of"),
        (["report", "{f}", "-o", "{tmp}/out.xyz"], 2, "cannot tell the report format"),
        (["report", "{tmp}/missing.json"], 1, "cannot read"),
        (["report", "{tmp}/bad.json"], 1, "not a fmtbench results file"),
        (["plot", "{f}"], 2, "-o FILE"),
        (["recommend", "{f}", "--bandwidth", "100Mbit"], 2, "both a bandwidth and a message rate"),
        (["recommend", "{f}", "--dataset", "nope"], 2, "no dataset 'nope'"),
        (["recommend", "{f}", "--weights", "speed=1"], 2, "unknown weight speed"),
    ],
)
def test_cli_errors_are_one_line_with_exact_status(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    status: int,
    message: str,
) -> None:
    (tmp_path / "bad.json").write_text('{"kind": "something-else"}')
    argv = [a.format(f=FIXTURE, tmp=tmp_path) for a in args]
    got, out, err = run(capsys, *argv)
    assert got == status
    assert out == ""
    assert err.startswith("fmtbench: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.xyz").exists()


def test_cli_plot_compare_recommend(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    assert run(capsys, "plot", str(FIXTURE), "-o", str(chart)) == (0, "", "")
    assert chart.read_bytes().startswith(PNG)

    doc = raw()
    scale(cell(doc, "telemetry", "protobuf")["timings"]["message_encode"], 0.5)
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps(doc))
    status, out, _ = run(capsys, "compare", str(FIXTURE), str(newer))
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["cell", "figure", "old", "new", "new/old", "95%", "interval", "verdict"]  # fmt: skip
    assert lines[1].split()[-4:] == ["0.50x", "[0.49,", "0.51]", "better"]
    assert lines[-1] == "1 of 83 figures changed beyond the noise (0 worse, 1 better; threshold 5%)"  # fmt: skip

    status, out, _ = run(
        capsys, "recommend", str(FIXTURE), "-d", "log", "--bandwidth", "100Mbit", "--rate", "5000"
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("log: ranked by size=2, decode=1, encode=1")
    assert lines[2].split()[:2] == ["1", "protobuf"]
    assert "at 5,000 msgs/s over 100 Mbit/s (12.5 MB/s):" in out


def test_view_rows_are_grouped_by_dataset_then_format(results: Results) -> None:
    keys = [(r.dataset, r.format, r.step) for r in view.rows(results)]
    assert keys[:3] == [
        ("log", "protobuf", "full"),
        ("log", "protobuf", "native"),
        ("log", "json", "full"),
    ]
    assert keys[-1] == ("telemetry", "msgpack", "full")


# -- compare's statistics ----------------------------------------------------------------------
def _resampled(doc: dict[str, Any], rng: random.Random, factor: float) -> dict[str, Any]:
    """Every timing of the fixture measured again: its samples drawn anew from the old ones
    (the same machine's noise), times ``factor``."""
    for c in doc["cells"]:
        for t in c["timings"].values():
            seconds = sorted(rng.choice(t["seconds"]) * factor for _ in t["seconds"])
            t["seconds"] = seconds
            t["median"] = statistics.median(seconds)
            q = statistics.quantiles(seconds, n=4)
            t["iqr"] = max(q[2] - q[0], 0.0)
    return doc


def _timing_changes(factor: float, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    c = compare(from_dict(raw()), from_dict(_resampled(raw(), rng, factor)))
    timings = [r for r in c.rows if r.metric.endswith("ns/record")]
    return sum(1 for r in timings if r.significant), len(timings)


def test_identical_runs_flag_at_most_5_percent_of_figures() -> None:
    flagged = total = 0
    for seed in range(20):
        f, n = _timing_changes(1.0, seed)
        flagged, total = flagged + f, total + n
    assert flagged <= 0.05 * total, f"{flagged} of {total} figures flagged"


def test_a_20_percent_slowdown_is_flagged_95_percent_of_the_time() -> None:
    flagged = total = 0
    for seed in range(20):
        f, n = _timing_changes(1.2, seed)
        flagged, total = flagged + f, total + n
    assert flagged >= 0.95 * total, f"{flagged} of {total} figures flagged"


def test_the_interval_is_moses_for_a_known_case() -> None:
    from fmtbench.bench.compare import ratio_interval

    old = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]
    assert ratio_interval(old, old) is not None
    low, high = ratio_interval(old, old) or (0, 0)
    assert low < 1 < high
    low, high = ratio_interval(old, [2 * x for x in old]) or (0, 0)
    assert low < 2 < high
    assert low > 1.5
    assert ratio_interval([1.0, 2.0], [1.0, 2.0]) is None  # too few for 95%


@pytest.mark.parametrize(
    ("factor", "fail_on", "status"),
    [(1.0, "regression", 0), (2.0, "regression", 1), (0.5, "regression", 0), (0.5, "change", 1)],
)
def test_fail_on_gates_ci(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, factor: float, fail_on: str, status: int
) -> None:
    doc = raw()
    scale(cell(doc, "log", "msgpack")["timings"]["batch_decode"], factor)
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps(doc))
    got, _, err = run(capsys, "compare", str(FIXTURE), str(newer), "--fail-on", fail_on)
    assert (got, err) == (status, "")


def test_threshold_and_fail_on_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    got, _, err = run(capsys, "compare", str(FIXTURE), str(FIXTURE), "--fail-on", "slower")
    assert got == 2
    assert "--fail-on takes 'regression' or 'change'" in err
    got, _, err = run(capsys, "compare", str(FIXTURE), str(FIXTURE), "--threshold", "-1")
    assert got == 2


# -- recommend: noise, reasons, loads ----------------------------------------------------------
def test_formats_within_each_others_noise_are_tied() -> None:
    (rec,) = recommend(from_dict(raw()), dataset="telemetry")
    labels = [r.label.split()[0] for r in rec.ranked]
    # json and jsonl run the same code in message mode: a tie, never #3 and #4.
    i, j = labels.index("json"), labels.index("jsonl")
    assert rec.ranked[max(i, j)].tie
    lines = recommend_lines([rec])
    assert any(line.split()[:2] in (["=3", "json"], ["=3", "jsonl"]) for line in lines)
    assert "=: tied" in "\n".join(lines)


def test_a_clear_gap_is_not_a_tie_and_each_rank_says_why() -> None:
    doc = raw()
    for t in cell(doc, "telemetry", "jsonl")["timings"].values():
        scale(t, 2.0)  # twice as slow as json: no longer within the noise
    (rec,) = recommend(from_dict(doc), dataset="telemetry")
    assert not any(r.tie for r in rec.ranked)
    top = rec.ranked[0]
    assert top.why.startswith("best at size")
    assert all(r.why for r in rec.ranked)


def test_unstable_inputs_are_marked() -> None:
    doc = raw()
    cell(doc, "log", "protobuf")["timings"]["message_decode"]["unstable"] = True
    (rec,) = recommend(from_dict(doc), dataset="log")
    (pb,) = [r for r in rec.ranked if r.label.startswith("protobuf")]
    assert pb.unstable
    assert "~: a timing of this format was unstable" in "\n".join(recommend_lines([rec]))


def test_with_a_load_the_ranking_follows_the_bottleneck_and_names_the_closest() -> None:
    link = parse_bandwidth("1Mbit")
    (rec,) = recommend(from_dict(raw()), None, link, 5000.0, dataset="log")
    rates = [r.load.max_rate for r in rec.ranked if r.load]
    assert rates == sorted(rates, reverse=True)
    text = "\n".join(recommend_lines([rec], link, 5000.0))
    assert "no format meets 5,000 msgs/s over 1 Mbit/s" in text
    assert f"closest: {rec.ranked[0].label}" in text
    assert "bandwidth bound" in rec.ranked[0].why


@pytest.mark.skipif(not available(), reason="matplotlib is not installed")
@pytest.mark.parametrize(
    ("ending", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF-"), (".png", PNG)]
)
def test_plot_writes_what_the_ending_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ending: str, magic: bytes
) -> None:
    first, again = tmp_path / f"a{ending}", tmp_path / f"b{ending}"
    assert run(capsys, "plot", str(FIXTURE), "-o", str(first)) == (0, "", "")
    assert run(capsys, "plot", str(FIXTURE), "-o", str(again)) == (0, "", "")
    assert first.read_bytes().startswith(magic)
    if ending != ".png":  # vector output carries no date and no random ids
        assert first.read_bytes() == again.read_bytes()


def test_plot_names_the_endings_it_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, "plot", str(FIXTURE), "-o", str(tmp_path / "c.gif"))
    assert (status, out) == (2, "")
    assert "plot writes .png, .svg, .pdf files; the ending '.gif' is none of them" in err
    assert not (tmp_path / "c.gif").exists()


def test_compare_says_when_a_run_was_made_on_a_busy_machine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = raw()
    doc["environment"]["busy"] = ["the load average is 3.1 on 2 cores: other work competes"]
    busy = tmp_path / "busy.json"
    busy.write_text(json.dumps(doc))
    status, out, _ = run(capsys, "compare", str(FIXTURE), str(busy))
    assert status == 0
    assert "setup: the new run's machine was busy: the load average is 3.1 on 2 cores" in out
    doc["environment"]["busy"] = ["\x1b[2J"]
    busy.write_text(json.dumps(doc))
    status, _, err = run(capsys, "compare", str(FIXTURE), str(busy))
    assert status == 1
    assert "environment.busy[0]: control characters in text" in err


def test_compare_names_a_shift_every_timing_shares() -> None:
    doc = raw()
    for c in doc["cells"]:
        for t in c["timings"].values():
            scale(t, 1.5)
    c = compare(from_dict(raw()), from_dict(doc))
    (note,) = [n for n in c.notes if "of the timings are slower" in n]
    assert "100% of the timings are slower, by 1.50x at the median" in note
    one = raw()
    scale(cell(one, "log", "msgpack")["timings"]["batch_decode"], 1.5)
    assert not any("of the timings" in n for n in compare(from_dict(raw()), from_dict(one)).notes)
