"""The exported ``.proto`` against ``buf lint`` (STANDARD rules), from npm's @bufbuild/buf.

Every built-in schema's export passes every STANDARD rule but the three that names decide
(``fmtbench/schema/lint.py``); a schema named as buf asks passes them all, and
``schema check --lint`` names exactly what is left.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fmtbench import resolve_schema
from fmtbench.cli import main
from fmtbench.schema import parse_schema
from fmtbench.schema.lint import lint_hints
from fmtbench.schema.model import Schema
from fmtbench.schema.proto import proto_text
from tests.peers import peer

NAMED = ("PACKAGE_VERSION_SUFFIX", "ENUM_ZERO_VALUE_SUFFIX", "PACKAGE_DIRECTORY_MATCH")
BUILTIN = ["order", "log", "telemetry", "media", "tree", "sensor", "blob", "mesh"]


def buf_lint(schema: Schema, root: Path, except_rules: tuple[str, ...] = ()) -> str:
    """buf's findings on the export, written where buf wants a package's files."""
    folder = root / schema.name.replace(".", "/")
    folder.mkdir(parents=True)
    (folder / "schema.proto").write_text(proto_text(schema), encoding="utf-8")
    config = "version: v2\nlint:\n  use:\n    - STANDARD\n"
    if except_rules:
        config += "  except:\n" + "".join(f"    - {r}\n" for r in except_rules)
    (root / "buf.yaml").write_text(config)
    done = subprocess.run(
        [str(peer("buf")), "lint"], cwd=root, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_exports_pass_all_but_the_named_rules(name: str, tmp_path: Path) -> None:
    assert buf_lint(resolve_schema(name), tmp_path, NAMED) == ""


CLEAN = """
schema: shop.order.v1
root: Order
enums:
  Status: [UNSPECIFIED, PAID, SHIPPED]
messages:
  Order:
    fields:
      id: uint64 = 1
      status: Status = 2
      placed_at: timestamp = 3
      lines: list<Line> = 4
      labels: map<string, string> = 5
      note: optional string = 6
      pay:
        oneof:
          card: string = 7
          iban: string = 8
  Line:
    fields:
      sku: string = 1
      quantity: uint32 = 2
"""


def test_a_schema_named_as_buf_asks_passes_every_standard_rule(tmp_path: Path) -> None:
    schema = parse_schema(CLEAN)
    assert lint_hints(schema) == []
    assert buf_lint(schema, tmp_path) == ""


def test_lint_hints_name_what_buf_finds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = resolve_schema("order")
    found = buf_lint(schema, tmp_path)
    hints = lint_hints(schema)
    for rule in ("PACKAGE_VERSION_SUFFIX", "ENUM_ZERO_VALUE_SUFFIX"):
        assert (rule in " ".join(hints)) == ("suffixed" in found), (rule, found)
    assert main(["schema", "check", "order", "--lint"]) == 0
    out = capsys.readouterr().out
    assert "lint: PACKAGE_VERSION_SUFFIX: package 'shop.order' has no version" in out
