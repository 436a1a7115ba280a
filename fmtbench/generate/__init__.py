"""Seeded, realistic records from any schema, and the dataset profiles that describe them.

``RecordGenerator`` turns a schema (plus optional hints, docs/datasets.md) into a lazy,
deterministic stream of valid canonical records; ``load_dataset`` reads a named profile
(``fmtbench/datasets/``) that fixes the schema, the record type, hints and defaults.
"""

from fmtbench.generate.dataset import (
    Dataset,
    DatasetError,
    builtin_datasets,
    load_dataset,
    parse_dataset,
)
from fmtbench.generate.generator import RecordGenerator
from fmtbench.generate.hints import HintError
from fmtbench.generate.output import (
    DatasetSummary,
    GenerateResult,
    Job,
    builtin_summaries,
    make_job,
    summarize,
    summary_lines,
    write_generated,
)

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetSummary",
    "GenerateResult",
    "HintError",
    "Job",
    "RecordGenerator",
    "builtin_datasets",
    "builtin_summaries",
    "load_dataset",
    "make_job",
    "parse_dataset",
    "summarize",
    "summary_lines",
    "write_generated",
]
