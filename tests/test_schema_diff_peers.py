"""``schema diff``'s verdicts against independent judges of the same pair of schemas (issue 17):

- Protobuf: ``buf breaking`` (npm's @bufbuild/buf) on the two exported ``.proto`` files, with
  the WIRE rules for the binary wire and WIRE_JSON for ProtoJSON. buf passes a change when
  old and new programs can exchange messages either way, skipping unknown fields: fmtbench's
  ``full`` with ``--drop-unknown``.
- Avro: Apache ``avro``'s ``ReaderWriterCompatibilityChecker`` on the two exported ``.avsc``
  schemas: backward is the new schema reading the old one's data, forward the reverse.

Where a judge and fmtbench differ, the case is listed below with the reason and which side
is right; the test fails on any other disagreement, and on a listed one that went away.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fmtbench.schema.avsc import avsc_file
from fmtbench.schema.diff import diff, verdicts
from fmtbench.schema.diff.rules import context
from fmtbench.schema.model import Schema
from fmtbench.schema.proto import proto_text
from tests.evolution_cases import CASES, Case
from tests.peers import peer

#: buf's rule set -> case -> why buf differs from fmtbench (WIRE: the binary Protobuf
#: verdict; WIRE_JSON: binary and ProtoJSON both full).
_BOTH: dict[str, str] = {
    # buf passes what Protobuf's parsers accept, values changed or not; fmtbench's readers
    # are lossless or an error, and its verdict says when values cannot cross (--prove shows it).
    "required field added": "buf has no rule for a proto2 required field added (FILE only);"
    " old messages lack it and every proto2 parser refuses them: fmtbench is right",
    "field removed": "buf wants the number (and name) reserved so that no later field reuses"
    " it: a policy for the future, not a break of these two versions (fmtbench judges"
    " them full, and the change says what to reserve: [reserve tag 2 and name 'b'])",
    "optional field removed": "as 'field removed'",
    "oneof member removed": "as 'field removed'",
    "reserved removed": "buf keeps reservations forever (RESERVED_MESSAGE_NO_DELETE) so that a"
    " later version cannot reuse an old number; these two versions read each other alike",
    "int32 -> uint32": "Protobuf parsers reinterpret a negative int32 as a large uint32;"
    " fmtbench refuses the value: a break in the values, which buf does not judge",
    "made optional": "in proto3 a plain field's zero value is not written, so a new reader"
    " sees it absent, not zero: the same bytes, another canonical value",
    "made plain (from optional)": "as 'made optional', the other way",
    "enum value added": "open enums keep an unknown number; fmtbench's enums are closed, so an"
    " old reader refuses the new value (what proto2 and most JSON readers do too)",
    "default changed": "buf flags a changed proto2 default (readers of an absent field differ);"
    " fmtbench's canonical record keeps the absence, so its own readers agree: both are right"
    " for their readers",
    "nested message renamed": "buf sees a field's message type change name; the two"
    " messages are the same fields and tags, so the bytes read alike: fmtbench compares the"
    " structure",
    "decimal precision widened": "a decimal is text to Protobuf; the narrower old reader"
    " refuses the new values' extra digits, which buf cannot see",
    "decimal scale changed": "as 'decimal precision widened': the scale is fmtbench's rule",
}
BUF_DIFFERS: dict[str, dict[str, str]] = {
    "WIRE": {
        **_BOTH,
        "int32 -> int64": "the wire holds both, but an old int32 reader truncates values over"
        " 2^31 (fmtbench refuses them): forward is a break in the values",
        "int64 -> int32": "as 'int32 -> int64', the other way",
        "string -> bytes": "bytes that are not UTF-8 do not read as a string (fmtbench and"
        " protobuf's own parsers refuse them): forward breaks for such values",
        "enum value renumbered": "on the wire the number is the value: an old GREEN reads as the"
        " new name of its number; fmtbench pairs enum values by name, so the value changed",
        "map key widened": "as 'int32 -> int64', for map keys",
        "map value widened": "as 'int32 -> int64', for map values",
    },
    "WIRE_JSON": _BOTH,
}
#: Case -> why Apache avro's checker differs from fmtbench's Avro verdict.
AVRO_DIFFERS: dict[str, str] = {
    # The checker asks "can the reader resolve the writer's schema"; fmtbench asks also
    # "does every value arrive": the second is what --prove measures.
    "field renamed": "with no alias the new field takes its default and the old value is"
    " dropped: resolvable, but the data is lost (fmtbench: breaking)",
    "int32 -> uint32": "int promotes to long, but a negative int32 is no uint32: fmtbench"
    " refuses it (backward breaks for such values)",
    "string -> bytes": "the checker allows bytes -> string, but bytes that are not UTF-8 are"
    " no string: forward breaks for such values",
    "two fields moved into one oneof": "an old record setting both fields cannot be one"
    " union value: the checker resolves the schemas, the record loses a value",
    "decimal precision widened": "the checker ignores logical types; the old reader refuses"
    " values with more digits than its precision",
    "decimal scale changed": "the Avro specification resolves decimals only when scale and"
    " precision match; the checker ignores logical types, and the unscaled integer read"
    " with another scale is another number",
}


def _verdict(case: Case, fmt: str) -> tuple[bool, bool]:
    """(backward, forward) of fmtbench's verdict, with --drop-unknown where that differs."""
    changes = diff(case.old, case.new, None, None)
    (v,), _ = verdicts(changes, [fmt], context(case.old, case.new, None, None))
    if v.drop is not None:
        v = v.drop
    return v.backward, v.forward


def _write_module(root: Path, schema: Schema, rules: str) -> None:
    folder = root / schema.name.replace(".", "/")
    folder.mkdir(parents=True)
    (folder / "schema.proto").write_text(proto_text(schema), encoding="utf-8")
    (root / "buf.yaml").write_text(f"version: v2\nbreaking:\n  use:\n    - {rules}\n")


def buf_breaking(old: Schema, new: Schema, rules: str, tmp: Path) -> list[str]:
    """The rule ids buf breaking reports for ``new`` against ``old``."""
    _write_module(tmp / rules / "old", old, rules)
    _write_module(tmp / rules / "new", new, rules)
    done = subprocess.run(
        [str(peer("buf")), "breaking", "--against", "../old", "--error-format", "json"],
        cwd=tmp / rules / "new", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 100), done.stderr
    return sorted({json.loads(line)["type"] for line in done.stdout.splitlines() if line})


@pytest.mark.parametrize("rules", ["WIRE", "WIRE_JSON"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_protobuf_verdicts_agree_with_buf_breaking(case: Case, rules: str, tmp_path: Path) -> None:
    found = buf_breaking(case.old, case.new, rules, tmp_path)
    # WIRE_JSON holds WIRE's rules and adds JSON's: both encodings must stay compatible.
    formats = ("protobuf",) if rules == "WIRE" else ("protobuf", "protojson")
    ours = all(_verdict(case, fmt) == (True, True) for fmt in formats)
    differs = BUF_DIFFERS[rules]
    assert (ours == (not found)) != (case.name in differs), (
        f"{case.name}: buf {rules} says {found or 'nothing'}, fmtbench's {'+'.join(formats)}"
        f" verdict is {'full' if ours else 'not full'}"
    )


def _avro_compatible(reader: Schema, writer: Schema) -> bool:
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
    from avro.schema import parse

    result = ReaderWriterCompatibilityChecker().get_compatibility(
        parse(avsc_file(reader, None)), parse(avsc_file(writer, None))
    )
    return result.compatibility is SchemaCompatibilityType.compatible


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_avro_verdicts_agree_with_apache_avros_checker(case: Case) -> None:
    apache = (_avro_compatible(case.new, case.old), _avro_compatible(case.old, case.new))
    ours = _verdict(case, "avro")
    assert (ours == apache) != (case.name in AVRO_DIFFERS), (
        f"{case.name}: Apache avro says (backward, forward) = {apache}, fmtbench {ours}"
    )


DATA = Path(__file__).resolve().parent / "data"
OTLP_OLD, OTLP_NEW = DATA / "otlp-v0.18.0", DATA / "otlp"
TRACE = "opentelemetry/proto/trace/v1/trace.proto"


def test_a_real_pair_otlp_v0_18_to_v1_11_is_judged_and_proven(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two published versions of OpenTelemetry's trace schema, each from its own checkout
    (--old-proto-path, --new-proto-path): the deprecated field 1000 removed (and reserved),
    fields added; every verdict backed by data in every installed format."""
    from fmtbench.cli import main

    status = main(
        ["schema", "diff", str(OTLP_OLD / TRACE), str(OTLP_NEW / TRACE),
         "--old-proto-path", str(OTLP_OLD), "--new-proto-path", str(OTLP_NEW),
         "--type", "opentelemetry.proto.trace.v1.TracesData", "--prove", "--records", "30",
         "--json"]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert status == 1  # breaking without --drop-unknown: old readers meet new fields
    changes = {(c["kind"], c["path"]) for c in doc["changes"]}
    assert ("field_removed", "ResourceSpans.instrumentation_library_spans") in changes
    # The number is reserved, the name is not: what buf's WIRE_JSON reports of this pair.
    (removed,) = [c for c in doc["changes"] if c["kind"] == "field_removed"]
    assert removed["detail"] == "reserve name 'instrumentation_library_spans'"
    assert ("reserved_added", "ResourceSpans") in changes
    assert ("field_added", "Span.flags") in changes
    pb = doc["formats"]["protobuf"]
    assert (pb["verdict"], pb["with_drop_unknown"]["verdict"]) == ("breaking", "full")
    for name, judged in doc["formats"].items():
        for way, outcome in judged["proof"].items():
            assert outcome["agrees"] is not False, (name, way, outcome)
        assert judged["proof"], name


def test_old_and_new_proto_paths_are_each_sides_own(capsys: pytest.CaptureFixture[str]) -> None:
    from fmtbench.cli import main

    # -I alone cannot serve two checkouts of one import path: the old side's imports then
    # resolve in the new checkout, and what differs is only the trace file itself.
    status = main(
        ["schema", "diff", str(OTLP_OLD / TRACE), str(OTLP_NEW / TRACE), "-I", str(OTLP_NEW),
         "--type", "opentelemetry.proto.trace.v1.TracesData", "--formats", "protobuf"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1
    assert "Resource.entity_refs" not in out  # resource.proto read from one checkout
    # A proto path for a side that is no .proto file is a usage error.
    assert main(["schema", "diff", "order", "order", "--old-proto-path", str(OTLP_OLD)]) == 2
    assert "applies to a .proto schema only" in capsys.readouterr().err
