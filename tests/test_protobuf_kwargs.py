"""The writer for decoded records (``protobuf/kwargs.py``) against the reference writer.

``convert`` writes delimited Protobuf through ``writer_for_decoded``, which skips the
reference's checks and falls back to it on any refusal. For canonical records its outcome
must be the reference writer's: the same bytes. Records no decoder returns are not its
business (it may write some the reference refuses), but where the reference writes one it
writes the same bytes, and every error it raises is the reference's.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs import codec_for, format_for_path
from fmtbench.codecs.protobuf.codec import ProtobufDelimitedCodec
from fmtbench.convert import convert
from fmtbench.errors import EncodeError
from fmtbench.generate import load_dataset
from fmtbench.schema.builtin import resolve_schema
from tests.strategies import SCHEMAS, records, schema_named

JUNK: list[Any] = [
    True,
    0,
    -1,
    2**31,
    2**64,
    1.5,
    float("nan"),
    "x",
    "\ud800",
    b"x",
    None,
    [],
    [1],
    {},
    {"a": 1},
    datetime(2024, 1, 1),  # naive
]


@cache
def codec(name: str) -> ProtobufDelimitedCodec:
    return ProtobufDelimitedCodec(schema_named(name))


def outcome(name: str, recs: list[dict[str, Any]], decoded: bool) -> tuple[str, Any]:
    c, out = codec(name), io.BytesIO()
    writer = c.writer_for_decoded(out) if decoded else c.writer(out)
    try:
        for r in recs:
            writer.write(r)
        writer.close()
    except EncodeError as exc:
        return ("error", str(exc))
    return ("ok", out.getvalue())


@pytest.mark.parametrize("name", SCHEMAS)
def test_canonical_records_give_the_reference_bytes(name: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(recs=st.lists(records(schema_named(name)), min_size=1, max_size=4))
    def prop(recs: list[dict[str, Any]]) -> None:
        ours = outcome(name, recs, decoded=True)
        assert ours[0] == "ok"
        assert ours == outcome(name, recs, decoded=False)

    prop()


@pytest.mark.parametrize("name", SCHEMAS)
def test_other_records_give_the_reference_bytes_or_error(name: str) -> None:
    schema = schema_named(name)

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(rec=records(schema), pick=st.integers(0, 10**6), junk=st.sampled_from(JUNK))
    def prop(rec: dict[str, Any], pick: int, junk: Any) -> None:
        fields = schema.message(None).fields
        if not fields:
            return
        bad = {**rec, fields[pick % len(fields)].name: junk}
        ours = outcome(name, [rec, bad], decoded=True)
        reference = outcome(name, [rec, bad], decoded=False)
        if ours[0] == "error" or reference[0] == "ok":
            assert ours == reference

    prop()


def test_zero_records_are_refused_alike() -> None:
    assert outcome("order", [], decoded=True) == outcome("order", [], decoded=False)
    assert outcome("order", [], decoded=True)[0] == "error"


def test_recursive_schemas_keep_the_reference_writer() -> None:
    # Their depth check lives on the reference path (the codec's wrapped encode).
    out = io.BytesIO()
    assert type(codec("tree").writer_for_decoded(out)) is type(codec("tree").writer(out))


@pytest.mark.parametrize("source", [".json", ".jsonl", ".xml", ".msgpack", ".pbd"])
def test_convert_writes_the_reference_bytes_from_every_format(source: str, tmp_path: Path) -> None:
    schema = resolve_schema("order")
    recs = list(load_dataset("order").generator().records(50))
    src, dst = tmp_path / f"in{source}", tmp_path / "out.pbd"
    src.write_bytes(codec_for(format_for_path(str(src)), schema).encode_many(recs))
    convert(str(src), str(dst), schema)
    assert dst.read_bytes() == ProtobufDelimitedCodec(schema).encode_many(recs)
