"""Inputs of the codec benchmarks: each dataset's records and their encodings, made once.

Records come from the dataset's own seed, so every run and every machine measures the same
records; they are generated, and encoded in each format, once per session and only when a
benchmark asks, so the timed bodies do nothing but encode or decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from fmtbench.codecs import Codec, Record, codec_for
from fmtbench.generate import load_dataset

RECORDS = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench-records",
        type=int,
        default=RECORDS,
        help=f"records per dataset in every codec benchmark (default {RECORDS})",
    )


@dataclass
class Workload:
    """One dataset's records, with codecs and encodings made on first use."""

    dataset: str
    records: list[Record]
    _codecs: dict[str, Codec] = field(default_factory=dict)
    _batches: dict[str, bytes] = field(default_factory=dict)
    _messages: dict[str, list[bytes]] = field(default_factory=dict)

    def codec(self, fmt: str) -> Codec:
        if fmt not in self._codecs:
            ds = load_dataset(self.dataset)
            self._codecs[fmt] = codec_for(fmt, ds.schema, ds.type_name)
        return self._codecs[fmt]

    def batch(self, fmt: str) -> bytes:
        """All records as one file in ``fmt`` (the input of batch decoding)."""
        if fmt not in self._batches:
            self._batches[fmt] = self.codec(fmt).encode_many(self.records)
        return self._batches[fmt]

    def messages(self, fmt: str) -> list[bytes]:
        """Each record as one message in ``fmt`` (the input of message decoding)."""
        if fmt not in self._messages:
            encode = self.codec(fmt).encode
            self._messages[fmt] = [encode(r) for r in self.records]
        return self._messages[fmt]


class Workloads:
    def __init__(self, records: int) -> None:
        self.count = records
        self._made: dict[str, Workload] = {}

    def __getitem__(self, dataset: str) -> Workload:
        if dataset not in self._made:
            gen = load_dataset(dataset).generator()  # the dataset's own seed
            self._made[dataset] = Workload(dataset, list(gen.records(self.count)))
        return self._made[dataset]


@pytest.fixture(scope="session")
def workloads(request: pytest.FixtureRequest) -> Workloads:
    count = request.config.getoption("--bench-records")
    if count < 1:
        raise pytest.UsageError("--bench-records must be at least 1")
    return Workloads(count)
