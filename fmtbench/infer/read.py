"""Read a sample for ``schema infer``: its records as plain trees, as the codecs see them.

Each format that can be read without a schema declares a sample reader in its registry
entry (``Format.sample``); its parser and options are the codec's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fmtbench.codecs.format import SampleReader
from fmtbench.codecs.registry import REGISTRY
from fmtbench.codecs.values.leaves import kind_of as describe

__all__ = ["describe", "read_records", "sample_reader"]


def sample_reader(fmt: str) -> SampleReader:
    reader = REGISTRY.get_format(fmt).sample_reader()
    if reader is None:
        raise AssertionError(f"{fmt} has no sample reader")
    return reader


def read_records(data: bytes, fmt: str, *, exact_ints: bool = False) -> Iterator[Any]:
    """The records of a sample, as the codec of ``fmt`` would see them before conversion.

    ``exact_ints`` keeps integers beyond 64 bits exact where the usual parser would not.
    """
    return sample_reader(fmt).read(data, exact_ints)
