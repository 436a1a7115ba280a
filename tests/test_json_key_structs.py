"""keys.py's counts of the typed reader's Structs (what ``convert`` proves JSON Lines blocks
by, when no record is built) are the counts of their plain form, and a duplicate key at any
depth still fails the proof."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.codecs.json.keys import KeyProof
from fmtbench.codecs.json.typed import REJECTED
from fmtbench.convert import convert
from fmtbench.errors import RecordError
from fmtbench.generate import load_dataset
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Schema
from tests.strategies import SCHEMAS, records, schema_named

_PLAIN = (bytes, bytearray, datetime)


def _structs(schema: Schema, lines: list[bytes]) -> list[Any] | None:
    parse = codec_for("jsonl", schema).block_decoder._typed._one.decode  # type: ignore[attr-defined]
    try:
        return [parse(line) for line in lines]
    except REJECTED:
        return None  # the typed path leaves the line to the tree path: no proof is made


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_struct_counts_are_the_plain_forms_counts(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([*SCHEMAS, "flat", "log", "blob"]))
    schema = resolve_schema(name) if name in ("log", "blob") else schema_named(name)
    batch = data.draw(st.lists(records(schema), min_size=1, max_size=6))
    lines = codec_for("jsonl", schema).encode_many(batch).splitlines()
    structs = _structs(schema, lines)
    if structs is None:
        return
    proof = KeyProof(schema, schema.root)
    plain = msgspec.to_builtins(structs, builtin_types=_PLAIN)
    # One at a time and all at once (keys.py counts a flat type's Structs in C loops).
    assert [proof._struct_strings([s]) for s in structs] == list(map(proof.strings, plain))
    assert [proof._struct_keys([s]) for s in structs] == list(map(proof._keys, plain))
    assert proof._struct_strings(structs) == sum(map(proof.strings, plain))
    assert proof._struct_keys(structs) == sum(map(proof._keys, plain))
    block = b"\n".join(lines)
    assert proof.unique_structs(block, structs) == proof.unique_all(block, plain)


#: A key repeated inside a nested message, a list item and a map, per dataset.
NESTED_DUPLICATES = [
    ("order", b'"customer":{"id":', b'"customer":{"id":1,"id":'),
    ("order", b'"address":{"street":', b'"address":{"city":"x","street":'),
    ("order", b'"lines":[{"sku":', b'"lines":[{"quantity":3,"sku":'),
    ("media", b'"media":{"uri":', b'"media":{"width":1,"uri":'),
    ("telemetry", b'"tags":{"az":', b'"tags":{"az":"x","az":'),
]


@pytest.mark.parametrize(("name", "where", "with_duplicate"), NESTED_DUPLICATES)
@pytest.mark.parametrize("escaped", [False, True])
def test_a_nested_duplicate_fails_the_struct_proof(
    name: str, where: bytes, with_duplicate: bytes, escaped: bool
) -> None:
    schema = resolve_schema(name)
    lines = (
        codec_for("jsonl", schema)
        .encode_many(list(load_dataset(name).generator().records(20)))
        .splitlines()
    )
    at = next(i for i, line in enumerate(lines) if where in line)
    lines[at] = lines[at].replace(where, with_duplicate, 1)
    if escaped:  # a backslash: the key count, not the quote count, must catch it
        lines[0] = lines[0].replace(b'":"', b'":"\\u0041', 1)
    structs = _structs(schema, lines)
    assert structs is not None
    assert not KeyProof(schema, schema.root).unique_structs(b"\n".join(lines), structs)


@pytest.mark.parametrize(("name", "where", "with_duplicate"), NESTED_DUPLICATES)
@pytest.mark.parametrize("target", ["msgpack", "protobuf-delimited"])
def test_convert_names_a_nested_duplicate(
    tmp_path: Path, name: str, where: bytes, with_duplicate: bytes, target: str
) -> None:
    schema = resolve_schema(name)
    lines = (
        codec_for("jsonl", schema)
        .encode_many(list(load_dataset(name).generator().records(300)))
        .splitlines()
    )
    at = next(i for i, line in enumerate(lines) if i > 200 and where in line)
    lines[at] = lines[at].replace(where, with_duplicate, 1)
    src, dst = tmp_path / "in.jsonl", tmp_path / f"out.{target}"
    src.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordError) as caught:
        convert(str(src), str(dst), schema, to_format=target)
    assert caught.value.record == at + 1
    assert "duplicate" in caught.value.problem
    assert not dst.exists()
