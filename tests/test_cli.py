"""The command line, in process: exact exit statuses, one-line errors, no partial output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from tests.samples import ORDERS, SCHEMAS, assert_same, order_schema

EXAMPLE = Path(__file__).resolve().parent.parent / "fmtbench" / "examples" / "orders.json"
ENDING = {name: f.extensions[0] for name, f in FORMATS.items()}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def write_orders(path: Path, records: list[dict], fmt: str = "json") -> None:
    codec = codec_for(fmt, order_schema())
    path.write_bytes(codec.encode_many(records))


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "protobuf"])
def test_convert_round_trips_through_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    src = tmp_path / "in.json"
    write_orders(src, ORDERS)
    mid = tmp_path / f"mid{ENDING[fmt]}"
    back = tmp_path / "back.json"
    status, _, err = run(capsys, "convert", str(src), str(mid), "--schema", "order")
    assert status == 0, err
    assert f"3 records json -> {fmt}" in err
    assert (
        run(capsys, "convert", str(mid), str(back), "--schema", str(SCHEMAS / "order.yaml"))[0] == 0
    )
    assert_same(codec_for("json", order_schema()).decode_many(back.read_bytes()), ORDERS)


def test_one_record_keeps_its_one_record_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "one.json"
    src.write_bytes(codec_for("json", order_schema()).encode(ORDERS[0]))
    for fmt in ("protobuf", "xml", "json"):
        out = tmp_path / f"one-out{ENDING[fmt]}"
        assert run(capsys, "convert", str(src), str(out), "-s", "order")[0] == 0
        codec = codec_for(fmt, order_schema())
        assert_same(codec.decode(out.read_bytes()), ORDERS[0])


def test_many_records_cannot_be_one_protobuf_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.json"
    write_orders(src, ORDERS)
    out = tmp_path / "out.pb"
    status, _, err = run(capsys, "convert", str(src), str(out), "-s", "order")
    assert status == 1
    assert "protobuf-delimited" in err
    assert not out.exists()


def test_bad_record_gives_one_line_and_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i}) for i in range(5)]
    lines[3] = json.dumps({"id": 3, "lines": [{}, {}, {"quantity": "many"}]})
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.msgpack"
    status, stdout, err = run(capsys, "convert", str(src), str(out), "-s", "order")
    assert status == 1
    assert stdout == ""
    assert (
        err
        == f"fmtbench: error: {src}: record 4: line 4: lines[2].quantity: expected uint32, got str\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no output, no temp file


def test_failure_leaves_an_existing_output_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.json"
    src.write_text('{"id": "x"}')
    out = tmp_path / "out.xml"
    out.write_text("precious")
    assert run(capsys, "convert", str(src), str(out), "-s", "order")[0] == 1
    assert out.read_text() == "precious"


def test_output_equal_to_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.json"
    write_orders(src, ORDERS)
    before = src.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(src)
    for target in (src, link):
        status, _, err = run(
            capsys, "convert", str(src), str(target), "-s", "order", "--to", "json"
        )
        assert status == 2
        assert "is the input file" in err
    assert src.read_bytes() == before


def test_stdin_and_stdout_need_a_format(tmp_path: Path) -> None:
    data = codec_for("jsonl", order_schema()).encode_many(ORDERS)
    cmd = [
        sys.executable,
        "-m",
        "fmtbench",
        "convert",
        "-",
        "-",
        "-s",
        "order",
        "--from",
        "jsonl",
        "--to",
        "msgpack",
    ]
    done = subprocess.run(cmd, input=data, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert_same(codec_for("msgpack", order_schema()).decode_many(done.stdout), ORDERS)
    done = subprocess.run([*cmd[:-4], "--to", "json"], input=data, capture_output=True, check=False)
    assert done.returncode == 2
    assert b"needs --from" in done.stderr
    assert b"Traceback" not in done.stderr


def test_malformed_input_through_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    src = tmp_path / "bad.pb"
    src.write_bytes(b"\x0a\xff\xff\xff")  # length-delimited field that runs past the end
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fmtbench",
            "convert",
            str(src),
            str(tmp_path / "o.json"),
            "-s",
            "order",
        ],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1
    assert str(src) in lines[0]
    assert not (tmp_path / "o.json").exists()


def test_unknown_ending_and_format_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.json"
    write_orders(src, ORDERS)
    status, _, err = run(capsys, "convert", str(src), str(tmp_path / "out.txt"), "-s", "order")
    assert status == 2
    assert "cannot tell the format" in err
    status, _, err = run(
        capsys, "convert", str(src), str(tmp_path / "o"), "-s", "order", "--to", "yaml"
    )
    assert status == 2
    assert "unknown format 'yaml'" in err
    assert run(capsys, "convert", str(src))[0] == 2  # typer's own usage error


def test_missing_input_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys, "convert", str(tmp_path / "nope.json"), str(tmp_path / "o.xml"), "-s", "order"
    )
    assert status == 1
    assert "nope.json: cannot read" in err


def test_schema_check_reports_and_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "schema", "check", "order")
    assert status == 0
    assert out == "shop.order: ok: 4 message types, 2 enums, root Order\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: t.x\nmessages:\n  A:\n    fields:\n      a: strng = 1\n")
    status, _, err = run(capsys, "schema", "check", str(bad))
    assert status == 1
    assert err.startswith(
        f"fmtbench: error: {bad}:5:10: A.a: unknown type 'strng'; did you mean 'string'?"
    )


@pytest.mark.parametrize(
    ("target", "needle"),
    [("proto", 'syntax = "proto3";'), ("xsd", "xs:schema"), ("jsonschema", '"$schema"')],
)
def test_schema_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, needle: str
) -> None:
    status, out, _ = run(capsys, "schema", "export", "order", "--to", target)
    assert status == 0
    assert needle in out
    dest = tmp_path / f"order.{target}"
    assert run(capsys, "schema", "export", "order", "--to", target, "-o", str(dest))[0] == 0
    assert dest.read_text() == out


def test_shipped_example_converts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "orders.xml"
    status, _, err = run(capsys, "convert", str(EXAMPLE), str(out), "--schema", "order")
    assert status == 0, err
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_version_and_formats(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.startswith("fmtbench ")
    status, out, _ = run(capsys, "formats")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == list(FORMATS)


def test_schema_infer_writes_a_schema_that_converts_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "visits.jsonl"
    sample.write_text(
        '{"user": "ann", "age": 31, "scores": {"u-1f": 1.5}}\n{"user": "bob", "age": 9999999999, "note": "hi", "scores": {}}\n'
    )
    schema = tmp_path / "visits.yaml"
    assert run(capsys, "schema", "infer", str(sample), "--name", "Visit", "-o", str(schema))[0] == 0
    text = schema.read_text()
    assert "age: int64 = 2" in text
    assert "note: optional string" in text
    out = tmp_path / "visits.pbd"
    assert run(capsys, "convert", str(sample), str(out), "--schema", str(schema))[0] == 0
    status, _, err = run(capsys, "schema", "infer", "-", "--name", "Visit")
    assert status == 2
    assert "needs --format" in err


def test_outputs_honour_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    out = tmp_path / "orders.msgpack"
    old = os.umask(0o022)
    try:
        assert run(capsys, "convert", str(EXAMPLE), str(out), "-s", "order")[0] == 0
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
