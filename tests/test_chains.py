"""Records carried through every format in turn, file to file, come back as they were.

A chain converts a file with ``fmtbench.convert`` (the function ``fmtbench convert`` runs)
from one format to the next: JSON Lines -> Avro container -> CBOR -> BSON -> delimited
Protobuf -> MessagePack -> Avro single objects -> XML -> ProtoJSON Lines -> JSON Lines. Each
step reads what the one before wrote, so a value any format bends (a timestamp's
nanoseconds, a float32, a uint64 past 2^63, a decimal's digits, a map's integer keys, an
empty oneof) shows at the end. Every built-in dataset, and the schemas of unions, time
types, decimals and proto2 in tests/strategies, with generated records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.convert import convert
from fmtbench.generate import builtin_datasets, load_dataset
from fmtbench.schema.model import Schema
from tests.samples import assert_same
from tests.strategies import SCHEMAS, records, schema_named

CHAIN = [
    ("jsonl", ".jsonl"),
    ("avro", ".avro"),
    ("cbor", ".cbor"),
    ("bson", ".bson"),
    ("protobuf-delimited", ".pbd"),
    ("msgpack", ".msgpack"),
    ("avro-single", ".avso"),
    ("xml", ".xml"),
    ("protojsonl", ".protojsonl"),
    ("jsonl", ".end.jsonl"),
]


def carry(folder: Path, schema: Schema, recs: list[dict[str, object]]) -> list[dict[str, object]]:
    first = folder / f"0{CHAIN[0][1]}"
    writer = codec_for(CHAIN[0][0], schema)
    with first.open("wb") as f:
        w = writer.writer(f)
        for r in recs:
            w.write(r)
        w.close()
    previous = first
    for i, (fmt, ending) in enumerate(CHAIN[1:], 1):
        step = folder / f"{i}{ending}"
        convert(str(previous), str(step), schema, to_format=fmt)
        previous = step
    with previous.open("rb") as f:
        return list(codec_for(CHAIN[-1][0], schema).reader(f))


@pytest.mark.parametrize("name", builtin_datasets())
def test_every_dataset_survives_the_chain(tmp_path: Path, name: str) -> None:
    d = load_dataset(name)
    recs = list(d.generator().records(12))
    assert_same(carry(tmp_path, d.schema, recs), recs)


@pytest.mark.parametrize("name", ["union", "time", "money", "proto2"])
@settings(max_examples=4, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_records_survive_the_chain(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    assert name in SCHEMAS
    schema = schema_named(name)
    one = records(schema, xml_safe=True)  # XML 1.0 cannot carry every character
    recs = data.draw(st.lists(one, min_size=1, max_size=3), label="records")
    assert_same(carry(tmp_path_factory.mktemp("chain"), schema, recs), recs)
