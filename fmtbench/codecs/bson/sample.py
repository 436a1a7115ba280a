"""Read BSON samples without a schema (``schema infer``).

Documents are read one by one by their length prefix, with the codec's options and its
duplicate-key refusal. Leaves are given the types inference knows: ``Int64`` is an int; a
BSON datetime, and the codec's document of a finer timestamp (``{"date", "ns"}``), are a
timestamp, which inference recognises as msgpack's ``Timestamp`` (seconds and nanoseconds).
Other BSON types (ObjectId, Decimal128, regular expressions...) have no schema type:
inference names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgpack
from bson.int64 import Int64

from fmtbench.codecs.bson import leaves
from fmtbench.codecs.bson.codec import _UNIQUE, bson_error, frame_problem
from fmtbench.codecs.format import SampleReader
from fmtbench.codecs.values.leaves import timestamp_parts
from fmtbench.errors import DecodeError, ValueMismatch

_FINE = frozenset(("date", "ns"))


def read_bson(data: bytes, exact_ints: bool) -> Iterator[Any]:
    import bson

    start = 0
    while start < len(data):
        position = f"byte offset {start}"
        size = int.from_bytes(data[start : start + 4], "little", signed=True)
        one = data[start : start + max(size, 4)]
        if (problem := frame_problem(one)) is not None:
            raise DecodeError(problem, position=position)
        try:
            tree = bson.decode(one, _UNIQUE)
        except Exception as exc:
            raise bson_error(exc, position) from None
        try:
            yield _plain(tree)
        except ValueMismatch as exc:
            raise DecodeError(exc.problem, position=position) from None
        start += size


def _plain(v: Any) -> Any:
    c = v.__class__
    if c is Int64:
        return int(v)
    fine = isinstance(v, dict) and v.keys() == _FINE and v["date"].__class__ is datetime
    if c is datetime or fine:
        return msgpack.Timestamp(*timestamp_parts(leaves.timestamp_in(dict(v) if fine else v)))
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if c is list:
        return [_plain(x) for x in v]
    return v


BSON = SampleReader(read_bson)
