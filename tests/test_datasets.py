"""The built-in datasets: their schemas compile everywhere, their profiles say only what the
generator understands, and what they generate is valid, round-trips and looks like the thing
each one claims to be (skewed logs, incompressible blobs, bounded trees...).
"""

from __future__ import annotations

import statistics
from collections import Counter
from functools import cache
from itertools import pairwise
from typing import Any

import pytest
import zstandard
from jsonschema import Draft202012Validator
from lxml import etree

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, Record, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.generate import Dataset, builtin_datasets, load_dataset
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.jsonschema import json_schema
from fmtbench.schema.proto import file_descriptor
from fmtbench.schema.xsd import xsd_text
from tests.samples import assert_same

NEW_SCHEMAS = ["blob", "log", "media", "mesh", "telemetry", "tree"]
DATASETS = ["blob", "log", "media", "mesh", "order", "telemetry", "tree"]
N = 200


@cache
def dataset(name: str) -> Dataset:
    return load_dataset(name)


@cache
def records(name: str, n: int = N) -> list[Record]:
    """The first ``n`` records of a dataset with its own seed (shared: generated once)."""
    return list(dataset(name).generator().records(n))


def encoded(name: str, fmt: str, n: int = N) -> bytes:
    d = dataset(name)
    return codec_for(fmt, d.schema, d.type_name).encode_many(records(name, n))


def zstd_ratio(data: bytes) -> float:
    return len(data) / len(zstandard.ZstdCompressor(level=3).compress(data))


# -- the schemas ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_SCHEMAS)
def test_schema_compiles_for_every_target(name: str) -> None:
    schema = resolve_schema(name)
    assert "." in schema.name
    assert schema.doc
    file_descriptor(schema)
    etree.XMLSchema(etree.fromstring(xsd_text(schema).encode()))
    for type_name in schema.messages:
        Draft202012Validator.check_schema(json_schema(schema, type_name))


@pytest.mark.parametrize("name", NEW_SCHEMAS)
def test_schema_check_command(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "check", name]) == 0
    assert ": ok: " in capsys.readouterr().out


def test_media_keeps_the_jvm_serializers_tags() -> None:
    """The same field numbers as media.proto, so the protobuf bytes are comparable."""
    s = resolve_schema("media")
    tags = {m: {f.name: f.tag for f in s.messages[m].fields} for m in s.messages}
    assert tags["MediaContent"] == {"media": 2, "images": 1}
    assert list(tags["Media"].values()) == list(range(1, 12))
    assert tags["Image"] == {"uri": 1, "title": 2, "width": 3, "height": 4, "size": 5}


# -- the profiles and what they generate -----------------------------------------------------


def test_every_dataset_is_built_in() -> None:
    assert set(DATASETS) <= set(builtin_datasets())
    assert {dataset(n).schema.name for n in DATASETS} >= {
        resolve_schema(s).name for s in NEW_SCHEMAS
    }


@pytest.mark.parametrize("name", DATASETS)
def test_profile_describes_itself(name: str) -> None:
    """Loading checks every hint against the schema; the rest is what `datasets` shows."""
    d = dataset(name)
    assert d.name == name
    assert d.description
    assert d.stresses
    assert d.records >= 100
    assert d.seed == 1


@pytest.mark.parametrize("name", DATASETS)
def test_records_are_valid(name: str) -> None:
    d = dataset(name)
    for r in records(name):
        assert_same(validate(d.schema, r, d.type_name), r)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", DATASETS)
def test_records_round_trip(name: str, fmt: str) -> None:
    d = dataset(name)
    codec = codec_for(fmt, d.schema, d.type_name)
    if fmt == "protobuf":  # one message a file: one record at a time
        for r in records(name):
            assert_same(codec.decode(codec.encode(r)), r)
    else:
        assert_same(codec.decode_many(codec.encode_many(records(name))), records(name))


# -- realism: each dataset is what it claims to be --------------------------------------------


def test_log_compresses_like_a_log() -> None:
    """Repeated paths, agents and keys: zstd takes JSON Lines access logs down 3x or more."""
    assert zstd_ratio(encoded("log", "jsonl", 2000)) >= 3


def test_log_paths_are_skewed() -> None:
    counts = sorted(Counter(r["path"] for r in records("log", 2000)).values())
    assert counts[-1] >= 10 * statistics.median(counts)


def test_log_status_is_mostly_ok() -> None:
    statuses = Counter(r["status"] for r in records("log", 2000))
    assert statuses.most_common(1)[0][0] == 200
    assert statuses[200] > len(records("log", 2000)) / 2
    assert len(statuses) >= 5  # errors and redirects too, not only 200


def test_blob_payloads_do_not_compress() -> None:
    payloads = b"".join(r["payload"] for r in records("blob"))
    assert all(4096 <= len(r["payload"]) <= 65536 for r in records("blob"))
    assert zstd_ratio(payloads) < 1.1


def test_blob_costs_base64_in_json() -> None:
    assert len(encoded("blob", "json")) >= 1.3 * len(encoded("blob", "msgpack"))


def test_mesh_is_where_protobuf_shines() -> None:
    assert all(50 <= len(r["triangles"]) <= 200 for r in records("mesh"))
    assert len(encoded("mesh", "json")) >= 2 * len(encoded("mesh", "protobuf-delimited"))


def depth(node: dict[str, Any]) -> int:
    """Levels below ``node``: a leaf is 0, as the generator's max_depth counts them."""
    return 1 + max(map(depth, node["children"])) if node["children"] else 0


def test_tree_depth_is_bounded_and_reached() -> None:
    bound = dataset("tree").max_depth
    depths = [depth(r) for r in records("tree")]
    assert 4 <= bound <= 5
    assert max(depths) <= bound
    assert sum(d >= 3 for d in depths) >= len(depths) / 2


def test_telemetry_counters_and_clock_move_forward() -> None:
    """The profile's promise: the counter and the time increase from record to record."""
    points = records("telemetry")
    for before, after in pairwise(points):
        assert after["counter"] > before["counter"]
        assert after["at"] > before["at"]
    assert len({p["metric"] for p in points}) >= 5
    assert Counter(p["metric"] for p in points).most_common(1)[0][0].startswith("cpu.")
