"""Generated records to a file, and the one-line summaries of the built-in datasets.

What the ``generate`` and ``datasets`` commands do, so the CLI only parses and prints.
Records stream from the generator through a codec's writer into an atomic output: memory
stays flat however many records are asked for, and a failure leaves no file behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fmtbench.codecs import codec_for, format_for_path
from fmtbench.compress import compressing, compression
from fmtbench.errors import RecordError, UsageError
from fmtbench.files import STDIO, atomic_output
from fmtbench.generate.dataset import Dataset, builtin_datasets, load_dataset
from fmtbench.generate.generator import RecordGenerator
from fmtbench.schema.builtin import resolve_schema

PROGRESS_EVERY = 1000  # records between progress callbacks: cheap, and still smooth
SAMPLE_RECORDS = 50


@dataclass(frozen=True)
class Job:
    """What to generate: the generator, how many records, and a label for messages."""

    generator: RecordGenerator
    records: int
    label: str


@dataclass(frozen=True)
class GenerateResult:
    records: int
    format: str
    bytes: int | None  # None when written to stdout


def make_job(
    dataset: str | None,
    schema: str | None,
    *,
    type_name: str | None = None,
    records: int | None = None,
    seed: int | None = None,
) -> Job:
    """Resolve ``DATASET`` or ``--schema S`` (exactly one) into a job."""
    if (dataset is None) == (schema is None):
        raise UsageError("name a DATASET or give --schema SCHEMA (one of the two)")
    if records is not None and records < 0:
        raise UsageError(f"--records must be 0 or more, got {records}")
    if dataset is not None:
        ds = load_dataset(dataset)
        gen = ds.generator(seed, type_name)
        return Job(gen, ds.records if records is None else records, ds.name)
    assert schema is not None
    if records is None:
        raise UsageError("--records N is needed with --schema (a dataset has its own default)")
    gen = RecordGenerator(resolve_schema(schema), type_name, seed=seed or 0)
    return Job(gen, records, gen.type_name)


def write_generated(
    job: Job,
    dst: str,
    *,
    to_format: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Stream the job's records into ``dst`` (``-``: stdout, then ``to_format`` is needed)."""
    if to_format is None and dst == STDIO:
        raise UsageError("writing to '-' needs --to FORMAT")
    fmt = to_format or format_for_path(dst)
    gen = job.generator
    codec = codec_for(fmt, gen.schema, gen.type_name)
    count = 0
    try:
        with atomic_output(dst) as packed, compressing(packed, compression(dst)) as out:
            writer = codec.writer(out)
            for record in gen.records(job.records):
                writer.write(record)
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
            writer.close()
    except RecordError as exc:
        raise exc.located(file="<stdout>" if dst == STDIO else dst) from None
    if progress is not None:
        progress(count)
    size = None if dst == STDIO else Path(dst).stat().st_size
    return GenerateResult(count, fmt, size)


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    type_name: str  # qualified: schema name and record type, as in shop.order.Order
    json_bytes: float  # mean encoded JSON size of one record
    stresses: str


def summarize(dataset: Dataset, sample: int = SAMPLE_RECORDS) -> DatasetSummary:
    """Measure a typical record: ``sample`` records with the dataset's seed, as JSON."""
    codec = codec_for("json", dataset.schema, dataset.type_name)
    sizes = [len(codec.encode(r)) for r in dataset.generator().records(sample)]
    mean = sum(sizes) / len(sizes) if sizes else 0.0
    qualified = f"{dataset.schema.name}.{dataset.type_name}"
    return DatasetSummary(dataset.name, qualified, mean, dataset.stresses)


def summary_lines(summaries: list[DatasetSummary]) -> list[str]:
    """One aligned line per dataset: name, record type, JSON size a record, what it stresses."""
    if not summaries:
        return []
    width = max(len(s.name) for s in summaries)
    type_width = max(len(s.type_name) for s in summaries)
    return [
        f"{s.name:<{width}}  {s.type_name:<{type_width}}  "
        f"{human_bytes(s.json_bytes):>9}/record  {s.stresses}".rstrip()
        for s in summaries
    ]


def builtin_summaries() -> list[DatasetSummary]:
    return [summarize(load_dataset(name)) for name in builtin_datasets()]


def human_bytes(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n:.1f} TiB"
