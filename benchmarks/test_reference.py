"""fmtbench beside the reference libraries (GitHub issue 5), timed by pytest-benchmark.

Every pair of ``ratios.py`` becomes two benchmarks in one group, ``fmtbench`` and
``reference``, so the comparison table sets them side by side: JSON against orjson, Protobuf
against ``json_format`` and against its floors (upb's own step: ``Message(**kwargs)`` +
``SerializeToString``, ``FromString`` + a generated walk), XML against xmltodict, an lxml
``SubElement`` builder, ``lxml.etree.fromstring`` + one pass, and its batch decode against
its message decode, MessagePack against ``packb``/``unpackb``, and ``fmtbench convert``
against a ``json_format`` script as whole processes. Timed runs use the issue's 50,000 records
a dataset (``--bench-records`` overrides it; datasets of large records get fewer, as in
``ratios.py``); ``--benchmark-disable`` uses a few records, so CI only checks that every body
still runs. Slow references make calibration costly, so each body runs a fixed number of
rounds (``pedantic``). Speed is never asserted; ``ratios.py`` prints the verdicts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack
import orjson
import pytest
from ratios import (
    DATASETS,
    MAX_MB,
    ROOT,
    TARGETS,
    Pair,
    Prepared,
    convert_commands,
    make_pairs,
    write_jsonl,
)

from fmtbench.codecs import Record, codec_for
from fmtbench.generate import load_dataset

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

# The record count when timing; a handful when the bodies only run once.
TIMED_RECORDS = 50_000
SMOKE_RECORDS = 50
ROUNDS = 5
CONVERT_ROUNDS = 3
JOBS = [job for job in TARGETS if job != "convert"]
SIDES = ("fmtbench", "reference")


class References:
    """Each dataset's prepared inputs and pairs, made on first use and kept for the session."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._made: dict[str, tuple[Prepared, dict[str, Pair]]] = {}

    def _get(self, dataset: str) -> tuple[Prepared, dict[str, Pair]]:
        if dataset not in self._made:
            count = Prepared.capped(dataset, self.count, MAX_MB)  # blob, mesh: fewer
            prepared = Prepared.make(dataset, count)
            self._made[dataset] = (prepared, {p.job: p for p in make_pairs(prepared)})
        return self._made[dataset]

    def prepared(self, dataset: str) -> Prepared:
        return self._get(dataset)[0]

    def pair(self, dataset: str, job: str) -> Pair:
        return self._get(dataset)[1][job]


@pytest.fixture(scope="session")
def reference_count(request: pytest.FixtureRequest) -> int:
    """50,000 records when timing, a few when not; an explicit ``--bench-records`` wins."""
    args = request.config.invocation_params.args
    if any(str(a).startswith("--bench-records") for a in args):
        return int(request.config.getoption("--bench-records"))
    return SMOKE_RECORDS if request.config.getoption("benchmark_disable") else TIMED_RECORDS


@pytest.fixture(scope="session")
def references(reference_count: int) -> References:
    return References(reference_count)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("job", JOBS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_pair(
    benchmark: BenchmarkFixture, references: References, dataset: str, job: str, side: str
) -> None:
    pair = references.pair(dataset, job)
    benchmark.group = f"{dataset} {job} vs reference ({references.count} records a call)"
    benchmark.extra_info["does"] = pair.ours_label if side == "fmtbench" else pair.reference_label
    body = pair.ours if side == "fmtbench" else pair.reference
    result = benchmark.pedantic(body, rounds=ROUNDS, iterations=1)
    assert len(result) == references.count


# -- both sides of each pair do the same job -------------------------------------------------
@pytest.mark.parametrize("dataset", DATASETS)
def test_sides_agree(references: References, dataset: str) -> None:
    """Checked once, outside the timed bodies: a reference that did less would flatter it."""
    p = references.prepared(dataset)
    pair = {job: references.pair(dataset, job) for job in JOBS}
    records = p.records
    # JSON: the same trees read, the same bytes written.
    assert pair["json decode"].ours() == records
    assert pair["json decode"].reference() == [orjson.loads(line) for line in p.json_lines]
    assert pair["json encode"].reference() == pair["json encode"].ours()
    # Protobuf: the same messages (map order on the wire may differ), and protobuf's own
    # JSON mapping read back (``proto_dicts`` were made by MessageToDict of our messages).
    cls: Any = p.codecs["protobuf"].message_class  # type: ignore[attr-defined]
    ours_pb, ref_pb = pair["protobuf encode"].ours(), pair["protobuf encode"].reference()
    assert [cls.FromString(b) for b in ref_pb] == [cls.FromString(b) for b in ours_pb]
    assert pair["protobuf decode"].ours() == records
    assert pair["protobuf decode"].reference() == p.proto_dicts
    # The floors (issue 16): upb's own step on the keywords the codec builds, the same
    # messages; FromString and proto_walk reading one dict a record.
    ours_pb, floor_pb = (
        pair["protobuf encode floor"].ours(),
        pair["protobuf encode floor"].reference(),
    )
    assert [cls.FromString(b) for b in floor_pb] == [cls.FromString(b) for b in ours_pb]
    assert pair["protobuf decode floor"].ours() == records
    walked = pair["protobuf decode floor"].reference()
    assert len(walked) == len(records)
    assert all(type(d) is dict for d in walked)
    # XML: the reference builder writes what fmtbench reads back as the same records.
    xml = p.codecs["xml"]
    assert [xml.decode(b) for b in pair["xml encode"].reference()] == records
    assert pair["xml decode"].ours() == records
    assert len(pair["xml decode"].reference()) == len(records)
    # One <records> file read as the same records as one message each; the lxml floor
    # visits every element.
    assert pair["xml batch decode"].ours() == pair["xml batch decode"].reference() == records
    assert pair["xml decode floor"].ours() == records
    assert all(n > 1 for n in pair["xml decode floor"].reference())

    # MessagePack: the same values written (fmtbench sorts map keys, packb keeps their
    # order), the same values read.
    def unpack(b: bytes) -> Any:
        return msgpack.unpackb(b, timestamp=3, strict_map_key=False)

    ours_mp, ref_mp = pair["msgpack encode"].ours(), pair["msgpack encode"].reference()
    assert [unpack(b) for b in ref_mp] == [unpack(b) for b in ours_mp] == records
    assert pair["msgpack decode"].ours() == records
    assert pair["msgpack decode"].reference() == records


# -- convert: whole processes ---------------------------------------------------------------
@pytest.fixture(scope="session")
def convert_input(
    tmp_path_factory: pytest.TempPathFactory, reference_count: int
) -> tuple[Path, bytes]:
    """The JSONL input of the convert pair and the delimited Protobuf both sides must write."""
    folder = tmp_path_factory.mktemp("convert")
    src = folder / "log.jsonl"
    write_jsonl("log", reference_count, src)
    ds = load_dataset("log")
    records: list[Record] = list(ds.generator().records(reference_count))
    expected = codec_for("protobuf-delimited", ds.schema, ds.type_name).encode_many(records)
    return src, expected


@pytest.mark.parametrize("side", SIDES)
def test_convert(
    benchmark: BenchmarkFixture,
    convert_input: tuple[Path, bytes],
    reference_count: int,
    tmp_path: Path,
    side: str,
) -> None:
    src, expected = convert_input
    ours, ref = convert_commands(src, tmp_path / "ours.pbd", tmp_path / "ref.pbd")
    command, out = (
        (ours, tmp_path / "ours.pbd") if side == "fmtbench" else (ref, tmp_path / "ref.pbd")
    )
    benchmark.group = (
        f"log convert jsonl -> protobuf-delimited, whole process ({reference_count} records)"
    )
    benchmark.extra_info["command"] = " ".join(command[1:])

    def run() -> None:
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    benchmark.pedantic(run, rounds=CONVERT_ROUNDS, iterations=1)
    assert out.read_bytes() == expected
