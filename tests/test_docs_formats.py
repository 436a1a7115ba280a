"""The documentation of formats agrees with the registry: the table of files in
docs/formats.md, the entry fields in docs/plugins.md, and the README's format list."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from fmtbench.codecs import Format
from fmtbench.codecs.registry import Registry

DOCS = Path(__file__).resolve().parent.parent / "docs"
BUILTIN = Registry(group=None)  # installed plugins are not documented here


def _table(text: str, heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after ``heading``, cells stripped."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[2:]  # the header and the rule


def test_files_table_lists_every_builtin_format_and_its_endings() -> None:
    rows = _table((DOCS / "formats.md").read_text(), "## Files")
    documented = [
        (name.strip("`"), tuple(e.strip(" `") for e in endings.split(",")))
        for name, endings, _ in rows
    ]
    assert documented == [(name, f.extensions) for name, f in BUILTIN.items()]


def test_plugins_doc_describes_every_entry_field() -> None:
    rows = _table((DOCS / "plugins.md").read_text(), "## What an entry declares")
    documented = {m for row in rows for m in re.findall(r"`(\w+)`", row[0])}
    assert documented == {f.name for f in dataclasses.fields(Format)}


def test_mapping_table_has_a_column_per_format_family() -> None:
    # The mapping table names each built-in format by title, once for a family that shares
    # its mapping (delimited Protobuf is Protobuf's, JSON Lines is JSON's).
    header = (DOCS / "formats.md").read_text().split("| schema type |", 1)[1].split("\n")[0]
    columns = [c.strip() for c in header.strip("|").split("|")]
    titles = [f.title for f in BUILTIN.values() if f.messages_as is None]
    assert [c.split(" (")[0] for c in columns] == titles


def test_plugin_doc_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands docs/plugins.md shows, after its ``pip install`` (the test command
    installs the plugin): each exits 0, and the records come back."""
    import shlex

    from fmtbench.cli import main

    pytest.importorskip("fmtbench_lpjson", reason="the example plugin is not installed")
    text = (DOCS / "plugins.md").read_text()
    block = text.split("drives it through", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.splitlines() if line.startswith("fmtbench ")]
    assert [c[1] for c in commands] == ["formats", "convert", "convert", "bench"]
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "order", "--records", "30", "-o", "orders.jsonl"]) == 0
    for command in commands:
        assert main(command[1:]) == 0, command
    assert main(["convert", "orders.json", "again.jsonl", "--schema", "order"]) == 0
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "orders.jsonl").read_bytes()
