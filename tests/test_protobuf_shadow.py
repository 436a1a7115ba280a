"""Timestamps given to upb as their bytes (fmtbench/codecs/protobuf/shadow.py): ``stamp_bytes``
is upb's own serialization of each Timestamp, zeros, the epoch, negative seconds and the
edges of time included; a message's shadow built from those bytes serializes to the
message's own bytes, for every schema with a Timestamp field (maps, optionals, recursion);
and JSON Lines of such timestamps convert to delimited Protobuf as the reference path writes
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.codecs.protobuf.kwargs import compile_kwargs
from fmtbench.codecs.protobuf.shadow import shadow_class, stamp_bytes
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Scalar, Schema
from fmtbench.schema.proto import compile_classes
from fmtbench.schema.values import EPOCH
from tests.strategies import SCHEMAS, records, schema_named
from tests.test_convert_blocks import assert_same

EDGES = [
    EPOCH,  # seconds and nanos both zero: an empty message
    EPOCH + timedelta(microseconds=1),  # seconds zero
    EPOCH - timedelta(microseconds=1),  # -1 s and 999,999,000 ns
    EPOCH + timedelta(seconds=1),  # nanos zero
    EPOCH - timedelta(seconds=1),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2024, 5, 14, 8, 0, 0, 34_274, tzinfo=UTC),
]
STAMPS = st.lists(
    st.one_of(
        st.sampled_from(EDGES),
        st.datetimes(timezones=st.just(UTC)),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
    ),
    max_size=40,
)


def upb_bytes(schema_name: str, stamps: list[datetime]) -> list[bytes]:
    timestamp = compile_classes(schema_named(schema_name)).timestamp
    out = []
    for stamp in stamps:
        delta = stamp - EPOCH
        seconds = delta.days * 86400 + delta.seconds
        out.append(timestamp(seconds=seconds, nanos=delta.microseconds * 1000).SerializeToString())
    return out


@settings(max_examples=300, deadline=None)
@given(STAMPS)
def test_stamp_bytes_are_upbs_own(stamps: list[datetime]) -> None:
    assert stamp_bytes(stamps) == upb_bytes("order", stamps)


@pytest.mark.parametrize("edge", EDGES)
def test_each_edge_alone_and_among_others(edge: datetime) -> None:
    for stamps in ([edge], [edge, EDGES[-1]], [EDGES[-1], edge, edge], [edge] * 3):
        assert stamp_bytes(stamps) == upb_bytes("order", stamps)
    assert stamp_bytes([]) == []


def _as_bytes(value: dict[str, int], timestamp: Any) -> bytes:
    return bytes(timestamp(**value).SerializeToString())


def shadow_kwargs(cls: Any, kwargs: dict[str, Any], timestamp: Any) -> dict[str, Any]:
    """``kwargs`` with the root's singular Timestamp fields as their bytes."""
    out = dict(kwargs)
    for f in cls.DESCRIPTOR.fields:
        stamped = f.message_type is not None and f.message_type.full_name.endswith("Timestamp")
        if stamped and not f.is_repeated and f.name in out:
            out[f.name] = _as_bytes(out[f.name], timestamp)
    return out


BUILT_IN = ["log", "telemetry", "blob"]


def _schema(name: str) -> Schema:
    return resolve_schema(name) if name in BUILT_IN else schema_named(name)


def _has_root_stamp(name: str) -> bool:
    schema = _schema(name)
    fields = schema.messages[schema.root].fields
    return any(isinstance(f.type, Scalar) and f.type.kind == "timestamp" for f in fields)


STAMPED = [name for name in [*SCHEMAS, *BUILT_IN] if _has_root_stamp(name)]


def test_the_schemas_tried_cover_maps_optionals_and_recursion() -> None:
    assert {"time", "optionals", "order", "log", "union"} <= set(STAMPED)


@pytest.mark.parametrize("name", STAMPED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_shadow_serializes_to_the_messages_bytes(name: str, data: Any) -> None:
    schema = _schema(name)
    compiled = compile_classes(schema)
    cls = compiled.classes[schema.root]
    shadow = shadow_class(cls, compiled.pool)
    assert shadow is not None
    codec = codec_for("protobuf", schema)
    kwargs = compile_kwargs(schema, schema.root)
    for record in data.draw(st.lists(records(schema), max_size=4)):
        k = kwargs(codec.decode(codec.encode(record)))
        expected = cls(**k).SerializeToString(deterministic=True)
        got = shadow(**shadow_kwargs(cls, k, compiled.timestamp))
        assert got.SerializeToString(deterministic=True) == expected


def test_an_absent_optional_timestamp_stays_absent_and_the_epoch_is_written() -> None:
    schema = schema_named("optionals")
    compiled = compile_classes(schema)
    shadow = shadow_class(compiled.classes["Sparse"], compiled.pool)
    assert shadow is not None
    assert shadow().SerializeToString() == b""
    assert (
        shadow(when=b"").SerializeToString()
        == compiled.classes["Sparse"](when={}).SerializeToString()
    )
    assert shadow(when=b"").SerializeToString() == b"\x52\x00"  # field 10, length 0


def test_a_message_without_timestamps_has_no_shadow() -> None:
    schema = schema_named("tree")
    compiled = compile_classes(schema)
    assert shadow_class(compiled.classes[schema.root], compiled.pool) is None


def test_the_shadow_is_made_once_per_pool() -> None:
    schema = schema_named("order")
    compiled = compile_classes(schema)
    cls = compiled.classes[schema.root]
    first = shadow_class(cls, compiled.pool)
    assert first is not None
    assert shadow_class(cls, compiled.pool) is first


LOG_LINE = (
    '{{"at":"{at}","client_ip":"10.0.0.1","method":"GET","path":"/","status":200,'
    '"bytes_sent":1,"latency_ms":1.5,"user_agent":"u","request_id":"r"}}'
)
WRITTEN = [
    "1970-01-01T00:00:00Z",
    "1970-01-01T00:00:00.000001Z",
    "1969-12-31T23:59:59.999999Z",
    "1969-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2024-05-14T08:00:00.034274Z",
    "2024-05-14T08:00:01Z",
]


@pytest.mark.parametrize("first", WRITTEN)
def test_jsonl_timestamps_of_every_kind_convert_as_the_reference_writes(first: str) -> None:
    schema = resolve_schema("log")
    lines = [LOG_LINE.format(at=at) for at in [first, *WRITTEN, first]]
    assert_same(("\n".join(lines) + "\n").encode(), schema, "protobuf-delimited")
