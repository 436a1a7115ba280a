"""Every ```python block in README.md and docs/*.md runs (issue 14: docs that run).

Each block runs on its own, in a fresh namespace and an empty working folder; ``...`` (a
placeholder for the reader's own code) is a statement like any other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            out.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return out


BLOCKS = _blocks()


def test_there_are_python_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_python_block_runs(
    where: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, where, "exec"), {"__name__": "__doc__"})


def _yaml_schemas() -> list[tuple[str, str]]:
    """The ```yaml blocks of docs/schema.md that are whole schemas (a ``schema:`` key)."""
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    out = []
    for match in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
        if re.match(r"schema:", match.group(1)):
            line = text.count("\n", 0, match.start()) + 1
            out.append((f"docs/schema.md:{line}", match.group(1)))
    return out


@pytest.mark.parametrize(("where", "text"), _yaml_schemas(), ids=[w for w, _ in _yaml_schemas()])
def test_schema_examples_load(where: str, text: str) -> None:
    from fmtbench.schema import parse_schema

    parse_schema(text, where)
