"""``bench --libraries``: library cells beside a format's own, checked before timing, left
out with a note when not installed, run in a worker when they need an environment, and
ranked within their format by every report. The real adapters land separately, so these
tests register fake ``Library`` entries on the built-in json format."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import pytest

from fmtbench.bench import DatasetSpec, Results, Settings, from_json, load, run, save, to_json
from fmtbench.bench import libraries as libs
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


@pytest.fixture
def json_libraries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """json's registry entry with the fake libraries, for this test only."""
    entry = dataclasses.replace(
        REGISTRY["json"], libraries=(AGREEING, WRONG, WRONG_WRITER, MISSING, WORKER)
    )
    monkeypatch.setitem(REGISTRY._builtins(), "json", entry)
    monkeypatch.setitem(REGISTRY._everything(), "json", entry)
    return


def by_impl(results: Results) -> dict[tuple[str, str], Any]:
    return {(c.implementation, c.step): c for c in results.cells}


@pytest.fixture
def measured(json_libraries: None) -> Results:
    chosen = libs.choose(["json", "msgpack"], None)
    return run([ORDER], ["json", "msgpack"], SETTINGS, libraries=chosen)


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
    measured: Results, tmp_path: Any
) -> None:
    path = str(tmp_path / "run.json")
    save(measured, path)
    assert load(path) == measured
    assert from_json(to_json(measured)) == measured


def test_an_old_results_file_still_loads() -> None:
    from pathlib import Path

    old = load(str(Path(__file__).parent / "data" / "results_v1.json"))
    assert {c.step for c in old.cells} <= {"full", "native"}
