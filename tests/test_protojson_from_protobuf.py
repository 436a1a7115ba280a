"""``convert`` protobuf -> protojson straight from the parsed message (from_protobuf.py)
against the usual path (the canonical record, then the ProtoJSON writer): the same bytes, or
the same error naming the same record and field, on valid messages of every property-test
schema and on the same bytes cut, overwritten, extended with unknown fields, or noise."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protojson.codec import ProtoJsonCodec
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.limits import DEFAULT_LIMITS, Limits
from fmtbench.pump import pump
from fmtbench.schema.builtin import resolve_schema
from tests.strategies import SCHEMAS, records, schema_named
from tests.test_protobuf_fast import UNKNOWN_500, mutate


@cache
def codecs(schema: str, drop_unknown: bool = False) -> tuple[ProtobufCodec, ProtoJsonCodec]:
    s = schema_named(schema)
    return ProtobufCodec(s, drop_unknown=drop_unknown), ProtoJsonCodec(s)


def run(pb: ProtobufCodec, pj: ProtoJsonCodec, data: bytes, *, fused: bool) -> tuple[Any, ...]:
    """What a conversion of the one message ``data`` writes, or the error it raises."""
    out = io.BytesIO()
    reader = pb.reader(io.BytesIO(data))
    writer = pj.writer_for_decoded(out, single=reader.single)
    try:
        if fused:
            pump(reader, writer)
        else:
            for record in reader:
                writer.write(record)
        writer.close()
    except FmtbenchError as exc:
        return ("error", str(exc))
    return ("ok", out.getvalue())


def first(dataset: str) -> Any:
    return next(iter(load_dataset(dataset).generator().records(1)))


def takes(schema: str) -> bool:
    pb, pj = codecs(schema)
    return pj.from_protobuf(pb.reading_classes, strict=True) is not None


@pytest.mark.parametrize("drop_unknown", [False, True], ids=["strict", "drop-unknown"])
@pytest.mark.parametrize("schema", SCHEMAS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_straight_from_the_message_writes_what_the_record_would(
    schema: str, drop_unknown: bool, data: Any
) -> None:
    pb, pj = codecs(schema, drop_unknown)
    valid = pb.encode(data.draw(records(schema_named(schema))))
    for raw in [valid, *(mutate(valid, data.draw, pb) for _ in range(3))]:
        assert run(pb, pj, raw, fused=True) == run(pb, pj, raw, fused=False)


BUILT_IN = ["blob", "log", "media", "mesh", "order", "telemetry"]


def test_the_route_is_taken_where_it_applies() -> None:
    """Not merely equal because it always declines: it is taken on every built-in schema
    but the recursive one; schemas with oneofs, or recursion (its depth checks), decline."""
    assert {name for name in SCHEMAS if takes(name)} == {"order", "empty", "proto2"}
    for name in BUILT_IN:
        schema = resolve_schema(name)
        pb, pj = ProtobufCodec(schema), ProtoJsonCodec(schema)
        record = first(name)
        reader = pb.reader(io.BytesIO(pb.encode(record)))
        out = io.BytesIO()
        writer = pj.writer_for_decoded(out, single=True)
        assert writer.take_parsed(reader), name  # type: ignore[attr-defined]
        writer.close()
        assert out.getvalue() == pj.encode(record) + b"\n", name
    tree = resolve_schema("tree")
    reader = ProtobufCodec(tree).reader(io.BytesIO(b""))
    assert (
        not ProtoJsonCodec(tree).writer_for_decoded(io.BytesIO(), single=True).take_parsed(reader)
    )  # type: ignore[attr-defined]
    assert not reader.done  # nothing read: the records come one by one


def test_an_unknown_field_is_the_usual_error(tmp_path: Path) -> None:
    schema = resolve_schema("order")
    src = tmp_path / "in.binpb"
    src.write_bytes(ProtobufCodec(schema).encode(first("order")) + UNKNOWN_500)
    with pytest.raises(FmtbenchError, match="unknown field number 500") as info:
        convert(str(src), str(tmp_path / "out.protojson"), schema)
    assert "record 1" in str(info.value)
    assert not (tmp_path / "out.protojson").exists()


def test_the_values_limit_is_the_readers(tmp_path: Path) -> None:
    """A writer under another values limit than the reader's takes the usual path (its own
    count), so a record it would refuse is refused there."""
    schema = resolve_schema("log")
    pb = ProtobufCodec(schema)
    pj = ProtoJsonCodec(schema, limits=Limits(max_record_values=DEFAULT_LIMITS.record_values // 2))
    reader = pb.reader(io.BytesIO(pb.encode(first("log"))))
    assert not pj.writer_for_decoded(io.BytesIO(), single=True).take_parsed(reader)  # type: ignore[attr-defined]
