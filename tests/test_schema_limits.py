"""Schemas that the compilers would refuse, or whose records could never be used, are
schema errors with one line, in ``schema check`` and in every command (issue 12, items 12,
13 and 27); never a traceback from a compiler deep inside ``convert``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.errors import SchemaError
from fmtbench.schema import parse_schema


def chain(n: int, *, optional_at: int | None = None) -> str:
    """M0 -> M1 -> ... -> M(n-1), each a required message field of the one before."""
    lines = ["schema: t.chain", "root: M0", "messages:"]
    for i in range(n):
        lines += [f"  M{i}:", "    fields:"]
        if i + 1 < n:
            opt = "optional " if i == optional_at else ""
            lines.append(f"      next: {opt}M{i + 1} = 1")
        else:
            lines.append("      v: int32 = 1")
    return "\n".join(lines) + "\n"


@pytest.fixture
def empty_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "e.jsonl"
    path.write_text("{}\n")
    return path


@pytest.mark.parametrize("n", [102, 150, 1200, 3000])
def test_a_required_chain_past_the_depth_limit(
    tmp_path: Path, empty_jsonl: Path, capsys: pytest.CaptureFixture[str], n: int
) -> None:
    schema_file = tmp_path / "chain.yaml"
    schema_file.write_text(chain(n))
    schema = parse_schema(chain(n))  # loading it is fine: no recursion, no error
    assert main(["schema", "check", str(schema_file)]) == 1
    err = capsys.readouterr().err
    assert f"every record of M0 nests at least {n - 1} levels" in err
    assert err.count("\n") == 1
    for fmt in FORMATS:
        with pytest.raises(SchemaError, match="nests at least"):
            codec_for(fmt, schema)
    out = tmp_path / "o.json"
    assert main(["convert", str(empty_jsonl), str(out), "-s", str(schema_file)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_required_chain_within_the_limit_is_fine(tmp_path: Path) -> None:
    schema = parse_schema(chain(101))  # 100 levels below the record: the limit exactly
    zero = codec_for("json", schema).decode(b"{}")  # every required field zero-filled
    for fmt in FORMATS:
        codec = codec_for(fmt, schema)
        record = codec.decode_many(codec.encode_many([zero]))[0]
        depth, node = 0, record
        while "next" in node:
            depth, node = depth + 1, node["next"]
        assert depth == 100


def test_an_optional_link_breaks_the_chain() -> None:
    schema = parse_schema(chain(200, optional_at=50))
    zero = codec_for("json", schema).decode(b"{}")
    for fmt in FORMATS:  # M50.next is optional: records stop 50 levels down
        codec = codec_for(fmt, schema)
        record = codec.decode_many(codec.encode_many([zero]))[0]
        depth, node = 0, record
        while "next" in node:
            depth, node = depth + 1, node["next"]
        assert depth == 50


def test_a_deep_chain_raised_past_what_compilers_can_walk_is_one_line(
    tmp_path: Path, empty_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema_file = tmp_path / "chain.yaml"
    schema_file.write_text(chain(3000))
    args = ["convert", str(empty_jsonl), str(tmp_path / "o.json"), "-s", str(schema_file)]
    assert main([*args, "--max-depth", "5000"]) == 1
    err = capsys.readouterr().err
    assert "nest too deeply to compile" in err or "nests at least" in err
    assert err.count("\n") == 1


def test_protobufs_own_package_is_refused(empty_jsonl: Path, tmp_path: Path) -> None:
    text = "schema: google.protobuf\nroot: Timestamp\nmessages:\n  Timestamp:\n    fields:\n"
    text += "      t: timestamp = 1\n"
    with pytest.raises(SchemaError, match="Protobuf's own package"):
        parse_schema(text)
    with pytest.raises(SchemaError, match="Protobuf's own package"):
        parse_schema(text.replace("google.protobuf", "google.protobuf.extra"))


def test_an_optional_chain_too_deep_to_compile_is_one_line_in_every_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Optional links: usable records (forced depth 1), but 3,000 nested message types.
    lines = ["schema: deep.chain", "root: M0", "messages:"]
    for i in range(3000):
        lines += [f"  M{i}:", "    fields:", f"      next: optional M{i + 1} = 1"]
    lines += ["  M3000:", "    fields:", "      v: int32 = 1"]
    schema_file = tmp_path / "chain.yaml"
    schema_file.write_text("\n".join(lines) + "\n")
    for to in ("proto", "xsd", "jsonschema", "avro"):
        out = tmp_path / f"out.{to}"
        status = main(["schema", "export", str(schema_file), "--to", to, "-o", str(out)])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert status == 0 or (status == 1 and err.count("\n") == 1), err
        assert status == 0 or not out.exists()
