"""Encode and decode speed of every codec, in batch and message mode, on two datasets.

Batch mode is a whole file of records (``encode_many``/``decode_many``: storage); message mode
is one ``encode``/``decode`` call per record (an RPC or a queue). Every benchmark processes
all of a dataset's records in one call, so within a group the numbers compare directly and a
call's time divided by the record count is the time a record. Each body checks its result
once, so a codec that breaks cannot look fast; speed itself is measured, never asserted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fmtbench.codecs import FORMATS, Codec, Record

if TYPE_CHECKING:
    from conftest import Workloads
    from pytest_benchmark.fixture import BenchmarkFixture

# Many small string-heavy records, and nested records with enums, maps and timestamps.
DATASETS = ("log", "order")
# A protobuf file holds exactly one message, so it has no batch of many records.
BATCH_FORMATS = [fmt for fmt in FORMATS if fmt != "protobuf"]
MESSAGE_FORMATS = list(FORMATS)


def encode_each(codec: Codec, records: list[Record]) -> list[bytes]:
    encode = codec.encode
    return [encode(r) for r in records]


def decode_each(codec: Codec, messages: list[bytes]) -> list[Record]:
    decode = codec.decode
    return [decode(m) for m in messages]


def label(benchmark: BenchmarkFixture, dataset: str, mode: str, workloads: Workloads) -> None:
    """One comparison table per dataset, mode and direction: the formats side by side."""
    benchmark.group = f"{dataset} {mode} ({workloads.count} records a call)"


@pytest.mark.parametrize("fmt", BATCH_FORMATS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_batch_encode(
    benchmark: BenchmarkFixture, workloads: Workloads, dataset: str, fmt: str
) -> None:
    work = workloads[dataset]
    label(benchmark, dataset, "batch encode", workloads)
    benchmark.extra_info["bytes"] = len(work.batch(fmt))
    assert benchmark(work.codec(fmt).encode_many, work.records) == work.batch(fmt)


@pytest.mark.parametrize("fmt", BATCH_FORMATS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_batch_decode(
    benchmark: BenchmarkFixture, workloads: Workloads, dataset: str, fmt: str
) -> None:
    work = workloads[dataset]
    label(benchmark, dataset, "batch decode", workloads)
    data = work.batch(fmt)
    benchmark.extra_info["bytes"] = len(data)
    assert len(benchmark(work.codec(fmt).decode_many, data)) == len(work.records)


@pytest.mark.parametrize("fmt", MESSAGE_FORMATS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_message_encode(
    benchmark: BenchmarkFixture, workloads: Workloads, dataset: str, fmt: str
) -> None:
    work = workloads[dataset]
    label(benchmark, dataset, "message encode", workloads)
    assert benchmark(encode_each, work.codec(fmt), work.records) == work.messages(fmt)


@pytest.mark.parametrize("fmt", MESSAGE_FORMATS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_message_decode(
    benchmark: BenchmarkFixture, workloads: Workloads, dataset: str, fmt: str
) -> None:
    work = workloads[dataset]
    label(benchmark, dataset, "message decode", workloads)
    messages = work.messages(fmt)
    assert len(benchmark(decode_each, work.codec(fmt), messages)) == len(work.records)
