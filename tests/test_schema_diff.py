"""``fmtbench schema diff`` (issue 17): the change list, each format family's verdict on a
table of changes (tests/evolution_cases.py), and the command: exit status by --require, the
JSON document, Markdown, --prove's slot, and bad input as one line."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.codecs.registry import REGISTRY
from fmtbench.schema.diff import KINDS, diff, verdicts
from fmtbench.schema.diff.rules import FAMILIES, context, family_of
from tests.evolution_cases import CASES, FORMAT_OF, Case, schema
from tests.evolution_cases import FAMILIES as CASE_FAMILIES

DATA = Path(__file__).resolve().parent / "data"
V1 = str(DATA / "evolution" / "orders_v1.yaml")
V2 = str(DATA / "evolution" / "orders_v2.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["schema", "diff", *args])
    out, err = capsys.readouterr()
    return status, out, err


def _level(case: Case, fmt: str) -> str:
    changes = diff(case.old, case.new, None, None)
    (v,), _ = verdicts(changes, [fmt], context(case.old, case.new, None, None))
    return v.level + (f"/{v.drop.level}" if v.drop is not None else "")


def test_the_table_has_at_least_25_kinds_of_change() -> None:
    kinds = {k for c in CASES for k in c.kinds}
    assert len(CASES) >= 25
    assert len(kinds) >= 25, kinds
    assert kinds <= set(KINDS)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_changes_are_listed(case: Case) -> None:
    assert tuple(c.kind for c in diff(case.old, case.new, None, None)) == case.kinds


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("family", CASE_FAMILIES)
def test_verdict_per_family(case: Case, family: str) -> None:
    assert _level(case, FORMAT_OF[family]) == case.verdict(family)


BUILT_IN = [name for name, entry in REGISTRY.items() if entry.origin == "fmtbench"]


def test_every_built_in_format_has_a_family() -> None:
    for name, entry in REGISTRY.items():
        if entry.origin == "fmtbench":
            assert family_of(name) in FAMILIES, name
    # Formats of one family judge alike (jsonl as json, cbor as msgpack).
    case = next(c for c in CASES if c.name == "field renamed")
    assert _level(case, "jsonl") == _level(case, "json")
    assert _level(case, "cbor") == _level(case, "msgpack")
    assert _level(case, "protobuf-delimited") == _level(case, "protobuf")


def test_paths_name_message_field_and_enum_value() -> None:
    old = schema("s: Sub = 2\nc: Color = 3")
    new = schema("s: Sub2 = 2\nc: Color = 3", sub="Sub2", color="[RED, GREEN, BLUE, PINK]")
    changes = diff(old, new, None, None)
    assert [(c.kind, c.path, c.old, c.new) for c in changes] == [
        ("message_renamed", "R.s", "Sub", "Sub2"),
        ("enum_value_added", "Color.PINK", "", "PINK = 3"),
    ]


def test_a_field_pairs_by_name_before_tag() -> None:
    # b keeps its name with a new tag; c takes b's old tag under a new name: both told.
    changes = diff(schema("b: string = 2"), schema("b: string = 3\nc: string = 2"), None, None)
    assert [(c.kind, c.path) for c in changes] == [
        ("field_added", "R.c"),
        ("field_retagged", "R.b"),
    ]


def test_an_avro_alias_makes_a_rename_backward() -> None:
    old = schema("b: string = 2")
    new = schema("c: {type: string, tag: 2, avro: {aliases: [b]}}")
    changes = diff(old, new, None, None)
    (v,), _ = verdicts(changes, ["avro"], context(old, new, None, None))
    assert (v.backward, v.forward) == (True, False)


# -- the command ------------------------------------------------------------------------------
def test_exit_status_follows_require(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    base = "schema: t\nroot: R\nmessages:\n  R:\n    fields:\n      a: int32 = 1\n"
    old.write_text(base)
    new.write_text(base + "      b: optional string = 2\n")
    fmts = "--formats=protobuf,json,avro"
    assert run(capsys, str(old), str(new), fmts)[0] == 0  # backward by default
    assert run(capsys, str(old), str(new), fmts, "--require", "forward")[0] == 1
    assert run(capsys, str(old), str(new), fmts, "--require", "full")[0] == 1
    assert run(capsys, str(old), str(new), fmts, "--require", "full", "--drop-unknown")[0] == 0
    assert run(capsys, str(new), str(old), fmts)[0] == 1  # a field removed: forward only
    status, out, _ = run(capsys, str(old), str(old))
    assert (status, out.strip()) == (
        0,
        "no changes: every format reads either version's data with the other's schema",
    )


def test_table_lists_changes_verdicts_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, V1, V2, "--formats", "protobuf,protobuf-delimited,json,avro")
    assert status == 1
    lines = out.splitlines()
    assert lines[0].split() == ["change", "protobuf+1", "json", "avro"]
    assert "Order.buyer: field_renamed customer -> buyer" in out
    assert "protobuf+1: protobuf, protobuf-delimited" in out
    assert any(line.startswith("verdict") and "breaking" in line for line in lines)
    assert "- Line.quantity: field_retagged 2 -> 3: backward: refused: tags are" in out


def test_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, V1, V2, "--markdown", "--formats", "protobuf,xml")
    assert status == 1
    assert out.startswith("| change | protobuf | xml |\n|---|---|---|\n")
    assert "| Line.quantity: field_retagged 2 -> 3 | break | full |" in out


def test_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, V1, V2, "--json", "--formats", "protobuf,json")
    doc = json.loads(out)
    assert status == 1
    assert doc["ok"] is False
    assert doc["require"] == "backward"
    assert doc["old"] == {"schema": V1, "type": "Order"}
    assert [c["kind"] for c in doc["changes"]] == [
        "field_renamed",
        "field_added",
        "type_changed",
        "field_retagged",
        "enum_value_added",
    ]
    assert doc["changes"][2]["detail"] == "widening"
    pb = doc["formats"]["protobuf"]
    assert pb["verdict"] == "breaking"
    assert pb["proof"] is None
    assert len(pb["effects"]) == len(doc["changes"])
    assert {"change", "direction", "status", "some", "reason"} <= set(pb["reasons"][0])
    assert pb["effects"][1]["forward"]["status"] == "error"
    assert pb["effects"][1]["forward_drop_unknown"]["status"] == "ok"
    # --format json is the same document.
    assert (
        json.loads(run(capsys, V1, V2, "--format", "json", "--formats", "protobuf,json")[1]) == doc
    )


@dataclass
class _Outcome:
    records: int
    read: int
    changed: int
    errors: int
    first_problem: str | None

    @property
    def ok(self) -> bool:
        return self.read == self.records and self.changed == 0 and self.errors == 0


def test_prove_outcomes_go_beside_the_verdicts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The engine's interface (task P's prove.py): format -> direction -> Outcome."""
    calls = []

    def prove(old, new, old_type, new_type, formats, *, records, seed):  # type: ignore[no-untyped-def]
        calls.append((old_type, new_type, formats, records, seed))
        good = _Outcome(records, records, 0, 0, None)
        bad = _Outcome(records, 0, 0, records, "record 1: unknown field 'note'")
        return {
            f: {"backward": good, "forward": bad, "forward --drop-unknown": good} for f in formats
        }

    fake = types.ModuleType("fmtbench.schema.diff.prove")
    fake.prove = prove  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fmtbench.schema.diff.prove", fake)
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    base = "schema: t\nroot: R\nmessages:\n  R:\n    fields:\n      a: int32 = 1\n"
    old.write_text(base)
    new.write_text(base + "      note: optional string = 2\n")
    args = (str(old), str(new), "--formats", "json", "--prove", "--records", "7", "--seed", "3")
    status, out, _ = run(capsys, *args, "--json")
    assert status == 0
    assert calls == [("R", "R", ["json"], 7, 3)]
    proof = json.loads(out)["formats"]["json"]["proof"]
    assert proof["backward"]["agrees"] is True
    assert proof["forward"] == {
        "records": 7,
        "read": 0,
        "changed": 0,
        "errors": 7,
        "first_problem": "record 1: unknown field 'note'",
        "ok": False,
        "agrees": True,
    }
    assert proof["forward --drop-unknown"]["agrees"] is True
    status, out, _ = run(capsys, *args)
    assert "json forward: 0/7 read, 0 changed, 7 errors: agrees; first: record 1" in out
    status, out, _ = run(capsys, *args, "--markdown")
    assert "\nProof by data:\n\n```\njson backward: 7/7 read, 0 changed, 0 errors: agrees\n" in out
    assert out.rstrip().endswith("```")


def test_prove_without_the_engine_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fmtbench.schema.diff.prove", None)  # import fails
    status, out, _ = run(capsys, V1, V1, "--prove", "--formats", "json")
    assert status == 0
    assert "note: --prove: the proof engine (fmtbench.schema.diff.prove) is not there yet" in out


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["missing.yaml", V2], 1, "missing.yaml: no such schema file"),
        ([V1, V2, "--type", "Nope"], 2, "no message type 'Nope'"),
        ([V1, V2, "--formats", "jsn"], 2, "unknown format 'jsn'"),
        ([V1, V2, "--require", "sideways"], 2, "--require must be one of"),
        ([V1, V2, "--json", "--markdown"], 2, "give one"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], status: int, says: str
) -> None:
    got, out, err = run(capsys, *args)
    assert (got, out) == (status, "")
    assert err.count("\n") == 1
    assert err.startswith("fmtbench: error:")
    assert says in err


def test_broken_schema_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: t\nroot: R\nmessages: [\n")
    status, out, err = run(capsys, V1, str(bad))
    assert (status, out, err.count("\n")) == (1, "", 1)
    assert "bad.yaml" in err


def test_avsc_and_proto_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    avsc = str(DATA / "avro" / "shop.avsc")
    assert run(capsys, avsc, avsc)[0] == 0
    proto = str(DATA / "proto2" / "station.proto")
    status, out, _ = run(capsys, proto, proto, "--formats", "protobuf")
    assert (status, out.strip().startswith("no changes")) == (0, True)


def test_docs_table_is_the_case_table() -> None:
    """docs/evolution.md's table of rules says what the cases (and so the codecs) do."""
    short = {"full": "full", "backward": "B", "forward": "F", "breaking": "break"}

    def cell(verdict: str) -> str:
        plain, _, dropped = verdict.partition("/")
        return short[plain] + (f" ({short[dropped]} +d)" if dropped else "")

    text = (Path(__file__).resolve().parent.parent / "docs" / "evolution.md").read_text()
    start = text.index("| change | protobuf |")
    rows = text[start:].split("\n\n")[0].splitlines()[2:]
    expected = [
        "| " + " | ".join([c.name, *(cell(c.verdict(f)) for f in CASE_FAMILIES)]) + " |"
        for c in CASES
    ]
    assert rows == expected


def test_every_pair_of_built_in_schemas_is_judged() -> None:
    """Whatever the two versions, every change gets a verdict in every family (no change
    unhandled), and a schema against itself has none."""
    from fmtbench.schema.builtin import builtin_names, resolve_schema
    from fmtbench.schema.diff.render import document, markdown, table

    names = builtin_names()
    for a in names:
        for b in names:
            old, new = resolve_schema(a), resolve_schema(b)
            changes = diff(old, new, None, None)
            assert bool(changes) == (a != b), (a, b)
            judged, notes = verdicts(changes, BUILT_IN, context(old, new, None, None))
            assert all(len(v.effects) == len(changes) for v in judged)
            table(changes, judged, notes, False)
            markdown(changes, judged, notes, True)
            document(changes, judged, notes, old={}, new={}, require="full", drop=False, ok=False)


def test_a_list_that_becomes_a_map_breaks_everywhere() -> None:
    old, new = schema("l: list<int32> = 2"), schema("l: map<string, int32> = 2")
    changes = diff(old, new, None, None)
    assert [(c.kind, c.detail) for c in changes] == [("type_changed", "incompatible")]
    judged, _ = verdicts(changes, list(FORMAT_OF.values())[:-1], context(old, new, None, None))
    assert {v.level for v in judged} == {"breaking"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_prove_agrees_with_every_verdict(case: Case) -> None:
    """Proof by data (the issue's check): every verdict of the table, in every installed
    format, is what the codecs do; a failure for some values only may go unexercised."""
    prove = pytest.importorskip("fmtbench.schema.diff.prove").prove
    from fmtbench.schema.diff.render import agrees

    # Each codec once: jsonl, protojsonl and protobuf-delimited frame the same messages.
    same = {"jsonl", "protojsonl", "protobuf-delimited"}
    formats = [
        f
        for f, entry in REGISTRY.items()
        if family_of(f) and entry.missing() is None and f not in same
    ]
    changes = diff(case.old, case.new, None, None)
    judged, _ = verdicts(changes, formats, context(case.old, case.new, None, None))
    outcomes = prove(case.old, case.new, None, None, formats, records=60, seed=0)
    wrong = [
        f"{v.format} {way}: verdict {v.level}, data {o}"
        for v in judged
        for way, o in outcomes[v.format].items()
        if agrees(v, way, o) is False
    ]
    assert not wrong, wrong


def test_map_and_list_values_pair_their_types() -> None:
    # A map's (or list's) message and enum values are walked as a field's are: the change
    # inside is told, not the type as removed and added.
    old = schema("m: map<string, Sub> = 2\nl: list<Color> = 3\nn: map<string, Color> = 4")
    new = schema(
        "m: map<string, Sub> = 2\nl: list<Color> = 3\nn: map<string, Color> = 4",
        color="[RED, GREEN, BLUE, PINK]",
    )
    assert [(c.kind, c.path) for c in diff(old, new, None, None)] == [
        ("enum_value_added", "Color.PINK")
    ]
    from fmtbench.schema.loader import parse_schema

    text = "schema: t\nroot: R\nmessages:\n  R:\n    fields:\n      m: map<string, Sub> = 1\n"
    a = parse_schema(text + "  Sub:\n    fields:\n      x: int32 = 1\n")
    b = parse_schema(text + "  Sub:\n    fields:\n      x: int64 = 1\n")
    assert [(c.kind, c.path, c.detail) for c in diff(a, b, None, None)] == [
        ("type_changed", "Sub.x", "widening")
    ]
