"""CBOR's library cells for ``bench --libraries``: cbor2 (its compiled implementation).

The cell starts from what ``cbor2.loads`` gives for the codec's bytes (datetimes,
timedeltas, integer-keyed maps: the native cell's objects, native.py) and writes them with
``cbor2.dumps`` and the mapping's tags as hooks (cbor2 alone has no tag for a time with
nanoseconds nor for a duration); reading is ``cbor2.loads`` with the codec's options.

No pure-Python cell: cbor2 6, which the codec needs (``semantic_decoders``,
``allow_duplicate_keys``), is written in Rust only, and cbor2 5's pure-Python classes (or
their repackaging, ``cbor2pure`` 5.8, which imports cbor2 5's types) cannot be installed
beside it (docs/methodology.md, "Library cells").
"""

from __future__ import annotations

from collections.abc import Sequence

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep


def cbor2_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    from fmtbench.codecs.cbor.native import dumps, loads

    trees = [loads(codec.encode(r)) for r in records]  # outside any timing
    return LibraryStep(trees, dumps, loads)


LIBRARIES = (Library("cbor2", "fmtbench.codecs.cbor.libraries:cbor2_step", requires=("cbor2",)),)
