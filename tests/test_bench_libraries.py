"""``bench --libraries``: library cells beside a format's own, checked before timing, left
out with a note when not installed, run in a worker when they need an environment, and
ranked within their format by every report. The real adapters land separately, so these
tests register fake ``Library`` entries on the built-in json format."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest
from rich.console import Console

from fmtbench.bench import DatasetSpec, Results, Settings, from_json, load, run, save, to_json, view
from fmtbench.bench import libraries as libs
from fmtbench.bench.plot import plot_png
from fmtbench.bench.recommend import recommend, recommend_json, recommend_lines
from fmtbench.bench.render_html import to_html
from fmtbench.bench.render_terminal import render_terminal
from fmtbench.bench.render_text import to_csv, to_markdown
from fmtbench.bench.verdict import verdicts
from fmtbench.cli import main
from fmtbench.codecs import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep
from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import UsageError

RECORDS = 12
SETTINGS = Settings(
    modes=("message", "batch"),
    quick=True,
    isolate=False,
    min_sample_seconds=0.0005,
    samples=2,
    warmups=1,
    unstable_spread=0.10,
)
ORDER = DatasetSpec("profile", "order", RECORDS)
ENV = "FMTBENCH_TEST_LIBRARY_ENV"


def json_trees(codec: Codec, records: Sequence[Record]) -> list[Any]:
    """Each record as plain JSON values (timestamps as their text), as a library sees it."""
    return [msgspec.json.decode(codec.encode(r)) for r in records]


def agreeing(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    """msgspec.json, untyped, on json's own trees: the same work, so it agrees."""
    return LibraryStep(json_trees(codec, records), msgspec.json.encode, msgspec.json.decode)


def _drop_last(tree: Any) -> Any:
    return dict(list(tree.items())[:-1])


def wrong(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    """Reads fmtbench's bytes but loses each record's last field: must fail, untimed."""
    trees = json_trees(codec, records)
    return LibraryStep(trees, None, lambda data: _drop_last(msgspec.json.decode(data)))


def wrong_writer(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    """Writes each record without its last field: fmtbench reads that back otherwise."""
    trees = json_trees(codec, records)
    return LibraryStep(trees, lambda t: msgspec.json.encode(_drop_last(t)), None)


def needs_environment(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    """Agrees only where the variable its Library declares is set: in its worker."""
    if os.environ.get(ENV) != "on":
        raise RuntimeError(f"{ENV} is not set in this process")
    return agreeing(codec, records)


AGREEING = Library("fake-msgspec", agreeing)
WRONG = Library("fake-lossy", wrong)
WRONG_WRITER = Library("fake-lossy-writer", wrong_writer)
MISSING = Library("fake-absent", agreeing, requires=("fmtbench_no_such_module",))
WORKER = Library("fake-env", needs_environment, environment={ENV: "on"})


def _patch(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = dataclasses.replace(
        REGISTRY["json"], libraries=(AGREEING, WRONG, WRONG_WRITER, MISSING, WORKER)
    )
    monkeypatch.setitem(REGISTRY._builtins(), "json", entry)
    monkeypatch.setitem(REGISTRY._everything(), "json", entry)


@pytest.fixture
def json_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """json's registry entry with the fake libraries, for this test only."""
    _patch(monkeypatch)


def by_impl(results: Results) -> dict[tuple[str, str], Any]:
    return {(c.implementation, c.step): c for c in results.cells}


@pytest.fixture(scope="module")
def measured() -> Iterator[Results]:
    """One run of json (with the fake libraries) and msgpack, for the tests that read it."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _patch(monkeypatch)
        chosen = libs.choose(["json", "msgpack"], None)
        yield run([ORDER], ["json", "msgpack"], SETTINGS, libraries=chosen)


def test_an_agreeing_library_is_timed_beside_the_format(measured: Results) -> None:
    cell = by_impl(measured)[("fake-msgspec", "library")]
    assert (cell.dataset, cell.format, cell.status, cell.error) == ("order", "json", "ok", None)
    assert set(cell.timings) == {"message_encode", "message_decode"}
    assert all(t.per == "record" and t.median > 0 for t in cell.timings.values())
    assert cell.size is None
    assert cell.memory is None


def test_a_wrong_library_fails_with_the_first_difference_and_is_never_timed(
    measured: Results,
) -> None:
    reader = by_impl(measured)[("fake-lossy", "library")]
    assert reader.status == "failed"
    assert not reader.timings
    assert reader.error.startswith("record 1: reads fmtbench's bytes otherwise")
    writer = by_impl(measured)[("fake-lossy-writer", "library")]
    assert writer.status == "failed"
    assert not writer.timings
    # The first record where it differs, and the field: gift_wrap is written only when true.
    assert re.fullmatch(r"record \d+: what it wrote reads back otherwise: \w+: .+", writer.error)


def test_a_missing_library_has_no_cell_and_a_note_naming_the_extra(json_libraries: None) -> None:
    chosen = libs.choose(["json"], None)
    assert "fake-absent" not in [lib.name for lib in chosen.of("json")]
    assert chosen.notes == (
        "library fake-absent (json) left out: fake-absent needs fmtbench_no_such_module: "
        "pip install 'fmtbench[libraries]'",
    )


def test_a_library_with_an_environment_runs_in_a_worker_that_has_it(measured: Results) -> None:
    assert os.environ.get(ENV) is None  # not here: only the worker could have agreed
    cell = by_impl(measured)[("fake-env", "library")]
    assert (cell.status, cell.error) == ("ok", None)
    assert set(cell.timings) == {"message_encode", "message_decode"}


def test_only_the_libraries_named_and_unknown_names_are_usage_errors(json_libraries: None) -> None:
    chosen = libs.choose(["json", "msgpack"], ["fake-msgspec"])
    assert [lib.name for lib in chosen.of("json")] == ["fake-msgspec"]
    assert not chosen.of("msgpack")
    with pytest.raises(UsageError, match=r"unknown library 'fake-msgspc'.*did you mean 'fake-msgspec'"):  # fmt: skip
        libs.choose(["json"], ["fake-msgspc"])
    with pytest.raises(UsageError, match="implements json, which this run does not measure"):
        libs.choose(["msgpack"], ["fake-msgspec"])


def test_no_library_cells_without_the_option_or_in_a_batch_only_run(json_libraries: None) -> None:
    plain = run([ORDER], ["json"], SETTINGS)
    assert {c.step for c in plain.cells} == {"full", "native"}
    batch = dataclasses.replace(SETTINGS, modes=("batch",))
    chosen = libs.choose(["json"], ["fake-msgspec", "fake-env"])
    assert {c.step for c in run([ORDER], ["json"], batch, libraries=chosen).cells} == {"full"}


def test_isolated_runs_measure_every_library_in_a_worker(json_libraries: None) -> None:
    isolated = dataclasses.replace(SETTINGS, isolate=True)
    chosen = libs.choose(["json"], ["fake-msgspec", "fake-env"])
    cells = by_impl(run([ORDER], ["json"], isolated, libraries=chosen))
    assert cells[("fake-msgspec", "library")].status == "ok"
    assert cells[("fake-env", "library")].status == "ok"


def test_results_with_library_cells_round_trip_through_save_and_load(
    measured: Results, tmp_path: Path
) -> None:
    path = str(tmp_path / "run.json")
    save(measured, path)
    assert load(path) == measured
    assert from_json(to_json(measured)) == measured


def test_an_old_results_file_still_loads() -> None:
    old = load(str(Path(__file__).parent / "data" / "results_v1.json"))
    assert {c.step for c in old.cells} <= {"full", "native"}


# -- the reports ---------------------------------------------------------------------------
LIBRARY_NAMES = ("fake-msgspec", "fake-lossy", "fake-lossy-writer", "fake-env")


def test_rows_keep_each_format_together_its_own_cell_first_then_by_rank(
    measured: Results,
) -> None:
    rows = view.rows(measured, "order")
    json_rows = [r for r in rows if r.format == "json"]
    assert json_rows[0].step == "full"
    ranks = view.format_ranks(rows)
    ok_others = [ranks[r.key][0] for r in json_rows[1:] if r.ok]
    assert ok_others == sorted(ok_others)
    assert {ranks[r.key][1] for r in json_rows if r.ok} == {4}  # full, native and two libraries
    assert not json_rows[-1].ok  # failed ones last, unranked
    assert json_rows[-1].key not in ranks


def test_terminal_tables_rank_libraries_and_give_the_failure(measured: Results) -> None:
    console = Console(record=True, width=240)
    for part in render_terminal(measured, width=240):
        console.print(part)
    text = console.export_text()
    assert "fake-msgspec [library]" in text
    assert re.search(r"fake-msgspec \[library\] +[1-4]/4", text)
    assert "json fake-lossy [library] failed: record 1: reads fmtbench's bytes otherwise" in text
    assert "[library]: another implementation of the format" in text
    relative = text.split("relative to the best")[1]
    assert not any(name in relative for name in LIBRARY_NAMES)  # never against formats


def test_markdown_has_a_rank_column_and_the_failed_library(measured: Results) -> None:
    md = to_markdown(measured)
    assert "| format | implementation | step | status | rank | bytes/record |" in md
    assert re.search(r"\| json \| fake-msgspec \| library \| ok \| [1-4]/4 \| - \|", md)
    assert "| json \\| fake-lossy \\| library \\| failed: record 1" not in md
    assert re.search(r"\| json \| fake-lossy \| library \| failed: record 1: .* \| - \|", md)
    assert "`library` rows: another implementation" in md
    # No library value is ever the bold best of a column.
    for line in md.splitlines():
        if "| library |" in line:
            assert "**" not in line


def test_csv_gives_each_row_its_place_among_the_formats_implementations(
    measured: Results,
) -> None:
    table = list(csv.DictReader(io.StringIO(to_csv(measured))))
    row = next(r for r in table if r["implementation"] == "fake-msgspec")
    assert (row["step"], row["format_implementations"]) == ("library", "4")
    assert row["format_rank"] in {"1", "2", "3", "4"}
    failed = next(r for r in table if r["implementation"] == "fake-lossy")
    assert (failed["status"], failed["format_rank"]) == ("failed", "")
    assert failed["error"].startswith("record 1: reads fmtbench's bytes otherwise")


def test_html_ranks_libraries_in_the_table_and_a_chart_but_not_in_the_verdict(
    measured: Results,
) -> None:
    page = to_html(measured)
    assert '<tr class="library"><td>json</td><td>fake-msgspec</td>' in page
    assert "implementations, message time per record" in page
    assert "failed: record 1: reads fmtbench&#x27;s bytes otherwise" in page
    verdict = page.split('<section id="verdict">')[1].split("</section>")[0]
    ranking = page.split('<section id="ranking">')[1].split("</section>")[0]
    assert not any(name in verdict + ranking for name in LIBRARY_NAMES)


def test_verdicts_and_bests_are_chosen_among_full_step_cells_only(measured: Results) -> None:
    for v in verdicts(measured):
        named = [*v.smallest, *v.fastest_decode, *v.fastest_encode, *v.balanced]
        assert named
        assert not any(name in label for label in named for name in LIBRARY_NAMES)
    rows = view.rows(measured, "order")
    for metric in view.METRICS:
        assert view.best(rows, metric) == view.best([r for r in rows if r.comparable], metric)


def test_plot_draws_the_implementations_chart(measured: Results) -> None:
    pytest.importorskip("matplotlib")
    image = plot_png(measured, "svg").decode()
    assert "implementations (message)" in image
    assert "fake-msgspec" in image


def test_recommend_libraries_ranks_format_and_library_pairs(measured: Results) -> None:
    (plain,) = recommend(measured)
    assert not any("fake" in r.label for r in plain.ranked)
    (rec,) = recommend(measured, libraries=True)
    labels = {r.label for r in rec.ranked}
    assert {"json / fake-msgspec", "json / fake-env", "json / fmtbench (msgspec)"} <= labels
    assert "json / fake-lossy: failed" in rec.skipped
    pair = next(r for r in rec.ranked if r.label == "json / fake-msgspec")
    own = next(r for r in rec.ranked if r.label == "json / fmtbench (msgspec)")
    assert pair.values["size"] == own.values["size"]  # the size is the format's
    lines = recommend_lines([rec])
    assert "format / implementation" in lines[1]
    (out,) = recommend_json([rec])
    ranked = out["ranked"]
    assert isinstance(ranked, list)
    assert {"format": "json", "implementation": "fake-msgspec"}.items() <= next(
        r for r in ranked if r["implementation"] == "fake-msgspec"
    ).items()
    # A memory weight leaves library cells out, saying why: they have no memory figure.
    (heavy,) = recommend(measured, {"memory": 1.0}, libraries=True)
    assert "json / fake-msgspec: not measured: memory" in heavy.skipped


def test_the_cli_runs_named_libraries_and_notes_missing_ones(
    json_libraries: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.json"
    args = ["bench", "order", "--formats", "json", "--records", "8", "--quick", "--samples", "2"]
    status = main([*args, "--library", "fake-msgspec", "--json", str(out)])
    assert status == 0, capsys.readouterr().err
    saved = load(str(out))
    assert [c.implementation for c in saved.cells if c.step == "library"] == ["fake-msgspec"]
    assert "--library" in saved.command
    capsys.readouterr()
    assert main([*args, "--libraries", "--mode", "batch"]) == 2
    assert "--libraries needs --mode message or both" in capsys.readouterr().err
    assert main([*args, "--library", "fake-msgspc"]) == 2
    assert "did you mean 'fake-msgspec'" in capsys.readouterr().err
    assert main(["recommend", str(out), "--libraries"]) == 0
    assert "json / fake-msgspec" in capsys.readouterr().out


def test_the_cli_notes_a_missing_library(
    json_libraries: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the note matters here: keep the run itself to the agreeing library.
    entry = dataclasses.replace(REGISTRY["json"], libraries=(AGREEING, MISSING))
    monkeypatch.setitem(REGISTRY._builtins(), "json", entry)
    monkeypatch.setitem(REGISTRY._everything(), "json", entry)
    args = ["bench", "order", "--formats", "json", "--records", "8", "--quick", "--samples", "2"]
    assert main([*args, "--libraries", "--mode", "message"]) == 0
    err = capsys.readouterr().err
    assert "note: library fake-absent (json) left out: fake-absent needs fmtbench_no_such_module: pip install 'fmtbench[libraries]'" in err  # fmt: skip
