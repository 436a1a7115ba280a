"""The HTML report as a reader meets it: the verdict, the charts, and a real browser.

The verdict and the charts are checked on the hand-built results file (tests/data) and on
files edited here to force ties and wide ranges. The page is then opened in Debian's
Chromium, headless: no console message, the verdict and one pair of charts per dataset in
the DOM the browser built, nothing wider than a 390-pixel phone, and screenshots at 1280 and
390 pixels that are not blank. Without Chromium those tests skip with the reason, except in
CI (FMTBENCH_REQUIRE_PEERS=1), where .ci/run installs it and a missing browser fails.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from fmtbench.bench import svg, view
from fmtbench.bench.recommend import recommend
from fmtbench.bench.render_html import to_html
from fmtbench.bench.results import Results, from_dict
from fmtbench.bench.verdict import verdicts
from fmtbench.cli import main

FIXTURE = Path(__file__).resolve().parent / "data" / "results_v1.json"


def raw() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())  # type: ignore[no-any-return]


def cell(doc: dict[str, Any], dataset: str, fmt: str) -> dict[str, Any]:
    return next(
        c for c in doc["cells"] if (c["dataset"], c["format"], c["step"]) == (dataset, fmt, "full")
    )


def set_timing(c: dict[str, Any], name: str, seconds: list[float]) -> None:
    t = c["timings"][name]
    t["seconds"] = seconds
    ordered = sorted(seconds)
    t["median"] = ordered[len(ordered) // 2]
    t["iqr"] = 0.0
    t["unstable"] = False


@pytest.fixture(scope="module")
def results() -> Results:
    return from_dict(raw(), str(FIXTURE))


# -- the verdict -----------------------------------------------------------------------------
def test_verdict_answers_from_the_rows(results: Results) -> None:
    for v in verdicts(results):
        rows = [r for r in view.rows(results, v.dataset) if r.comparable]
        smallest = min(r.bytes_per_record for r in rows if r.bytes_per_record is not None)
        assert v.smallest == [r.format for r in rows if r.bytes_per_record == smallest]
        assert v.sizes[0][2] == 1.0
        for _label, size, ratio in v.sizes:
            assert ratio == pytest.approx(size / smallest)
        fastest = min(
            (r for r in rows if r.ns_per_record(f"{v.mode}_decode") is not None),
            key=lambda r: r.ns_per_record(f"{v.mode}_decode") or 0.0,
        )
        assert v.fastest_decode[0] == fastest.format
        (rec,) = recommend(results, dataset=v.dataset)
        assert v.balanced[0] == rec.ranked[0].label


def test_equal_timings_are_a_tie_and_distant_ones_are_not() -> None:
    doc = raw()
    same = [1.0e-6, 1.1e-6, 1.05e-6, 0.95e-6, 1.0e-6]
    set_timing(cell(doc, "log", "protobuf"), "message_decode", same)
    set_timing(cell(doc, "log", "msgpack"), "message_decode", [s * 1.01 for s in same])
    set_timing(cell(doc, "log", "json"), "message_decode", [s * 5 for s in same])
    set_timing(cell(doc, "log", "jsonl"), "message_decode", [s * 5 for s in same])
    set_timing(cell(doc, "log", "xml"), "message_decode", [s * 9 for s in same])
    log = next(v for v in verdicts(from_dict(doc)) if v.dataset == "log")
    assert log.fastest_decode == ["protobuf", "msgpack"]
    page = to_html(from_dict(doc))
    assert "protobuf = msgpack" in page


def test_equal_sizes_are_a_tie() -> None:
    doc = raw()
    smallest = min(
        c["size"]["bytes"] for c in doc["cells"] if c["dataset"] == "log" and c.get("size")
    )
    for fmt in ("msgpack", "protobuf"):
        cell(doc, "log", fmt)["size"]["bytes"] = smallest
        cell(doc, "log", fmt)["size"]["bytes_per_record"] = (
            smallest / cell(doc, "log", fmt)["size"]["records"]
        )
    log = next(v for v in verdicts(from_dict(doc)) if v.dataset == "log")
    assert sorted(log.smallest) == ["msgpack", "protobuf"]


def test_the_page_opens_with_the_verdict_then_the_ranking_then_the_details(
    results: Results,
) -> None:
    page = to_html(results)
    order = [page.index(mark) for mark in ('id="verdict"', 'id="ranking"', 'id="dataset-log"')]
    assert order == sorted(order)
    assert '<meta name="viewport"' in page
    tree = lxml.html.document_fromstring(page)
    targets = {a.get("href")[1:] for a in tree.xpath("//nav//a")}
    assert targets == {e.get("id") for e in tree.xpath("//*[@id]") if e.get("id") in targets}
    assert {"verdict", "ranking", "dataset-log", "dataset-telemetry", "environment"} <= targets
    for table in tree.xpath("//table"):
        assert table.getparent().get("class") == "scroll"  # scrolls, never clips


# -- the charts ------------------------------------------------------------------------------
def _bars(page: str) -> list[tuple[str, str]]:
    """(format label, fill colour) of every bar of every chart on the page."""
    return re.findall(r'fill="(#[0-9A-Fa-f]{6})"[^>]*><title>([^,<]+),', page)


def test_one_colour_per_format_across_every_chart(results: Results) -> None:
    bars = _bars(to_html(results))
    colour_of: dict[str, set[str]] = {}
    for colour, label in bars:
        colour_of.setdefault(label, set()).add(colour)
    assert set(colour_of) >= {"protobuf", "json", "msgpack"}
    assert all(len(c) == 1 for c in colour_of.values()), colour_of
    assert len({next(iter(c)) for c in colour_of.values()}) == len(colour_of)


def test_log_scale_when_values_span_more_than_a_decade() -> None:
    wide, narrow = svg.Scale(3.0, 49_000.0, 400), svg.Scale(60.0, 500.0, 400)
    assert wide.log
    assert not narrow.log
    assert wide.length(10.0**wide.start) == 0
    assert wide.length(10.0**wide.end) == 400
    for scale in (wide, narrow):
        positions = [x for x, _ in scale.ticks()]
        assert len(positions) <= 7
        # Labels of about 50 px centred on each gridline: they must not touch.
        assert all(b - a >= 55 for a, b in itertools.pairwise(positions))


def test_labels_never_overlap_however_many_formats() -> None:
    groups = [svg.Group(f"format number {i}", f"f{i}", (float(i + 1), None)) for i in range(30)]
    chart = svg.bar_chart("t", ("a", "b"), groups, svg.palette([g.colour_of for g in groups]), str)
    ys = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" class="l">', chart)]
    assert len(ys) == 30
    assert all(b - a >= 2 * svg.BAR_H for a, b in itertools.pairwise(ys))
    assert "not measured" in chart
    lxml.etree.fromstring(chart.encode())  # well-formed XML, as inline SVG must be


def test_captions_name_the_machine_and_the_run(results: Results) -> None:
    tree = lxml.html.document_fromstring(to_html(results))
    captions = [c.text_content() for c in tree.xpath("//figcaption")]
    assert len(captions) == 4
    for text in captions:
        assert results.environment.cpu in text
        assert results.created in text


# -- in a browser ----------------------------------------------------------------------------
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    message = "Chromium is not installed (apt-get install chromium)"
    if os.environ.get("FMTBENCH_REQUIRE_PEERS"):
        pytest.fail(message)
    pytest.skip(message)


def browse(
    page: Path, tmp: Path, *flags: str, width: int = 1280
) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={width},2000",
        *flags,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "results.html"
    assert main(["report", str(FIXTURE), "-o", str(out)]) == 0
    return out


def test_the_console_check_sees_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom')</script>")
    assert any("boom" in m for m in console_messages(browse(broken, tmp_path, "--dump-dom").stderr))


def test_the_browser_sees_the_verdict_and_a_pair_of_charts_per_dataset(
    page: Path, tmp_path: Path
) -> None:
    done = browse(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert console_messages(done.stderr) == []
    dom = lxml.html.document_fromstring(done.stdout)
    assert dom.xpath("//section[@id='verdict']//table")
    for dataset in ("log", "telemetry"):
        heading = dom.xpath(f"//h2[@id='dataset-{dataset}']")[0]
        charts = heading.getnext().getnext()
        assert charts.get("class") == "charts"
        assert len(charts.xpath(".//svg[@class='chart']")) == 2


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_is_wider_than_the_window(page: Path, tmp_path: Path, width: int) -> None:
    probe = tmp_path / "probe.html"
    script = (
        "<script>document.body.dataset.overflow = document.documentElement.scrollWidth"
        " - window.innerWidth;</script></body>"
    )
    probe.write_text(page.read_text().replace("</body>", script))
    done = browse(probe, tmp_path, "--dump-dom", width=width)
    overflow = lxml.html.document_fromstring(done.stdout).body.get("data-overflow")
    assert overflow is not None, done.stderr
    assert int(overflow) <= 0, f"{overflow} px too wide at {width}"


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_are_not_blank(page: Path, tmp_path: Path, width: int) -> None:
    from PIL import Image

    shot = tmp_path / f"shot{width}.png"
    done = browse(page, tmp_path, f"--screenshot={shot}", width=width)
    assert shot.exists(), done.stderr
    assert console_messages(done.stderr) == []
    with Image.open(shot) as image:
        assert image.size == (width, 2000)
        rgb = image.convert("RGB").tobytes()
    pixels = [rgb[i : i + 3] for i in range(0, len(rgb), 3)]
    inked = sum(1 for p in pixels if p != b"\xff\xff\xff")
    assert inked > 0.03 * len(pixels)  # text, tables and bars, not a white page
    assert len(set(pixels)) > 50  # the formats' colours and anti-aliased text
