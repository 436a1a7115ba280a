"""The fast MessagePack reading path (see structs/read.py): msgspec decodes one object into
Structs, and only the leaves msgspec cannot read exactly are converted here:

- timestamps: msgspec rounds nanoseconds to microseconds silently, so the extension is read
  as raw ``Ext`` and parsed by msgpack's own ``Timestamp`` and the tree path's rule (which
  keeps nanoseconds in a ``fmtbench.Timestamp``);
- durations (``[seconds, nanos]``): read as any value and checked by the tree path's rule;
- floats: an integer in a float field is kept as one and checked by ``float64_check``;
- uint64: msgspec cannot bound an integer above int64's range, so the top is checked here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar

import msgpack
import msgspec

from fmtbench.codecs.structs.read import ScalarRule, TypedReader, compose, float64, uint64
from fmtbench.codecs.values.leaves import (
    duration_from_msgpack,
    float32_round,
    timestamp_from_parts,
)
from fmtbench.schema.model import INT_RANGES, Schema

_TIMESTAMP_EXT = -1


def _timestamp(v: Any) -> datetime:
    if v.__class__ is datetime:  # the zero default
        return v
    if v.code != _TIMESTAMP_EXT:
        raise ValueError("not a timestamp")  # the tree path words the error
    data = v.data
    if len(data) == 8:
        # The usual form, read as msgpack's Timestamp.from_bytes reads it (30 bits of
        # nanoseconds over 34 of seconds) without building one: a record's largest cost.
        n = int.from_bytes(data, "big")
        if n >> 34 >= 1_000_000_000:
            raise ValueError("nanoseconds out of range")  # as Timestamp() refuses them
        return timestamp_from_parts(n & 0x3_FFFF_FFFF, n >> 34)
    ts = msgpack.Timestamp.from_bytes(data)
    return timestamp_from_parts(ts.seconds, ts.nanoseconds)


def _int(kind: str) -> Any:
    if kind == "uint64":
        return Annotated[int, msgspec.Meta(ge=0)]  # the top: ``uint64``
    lo, hi = INT_RANGES[kind]
    return Annotated[int, msgspec.Meta(ge=lo, le=hi)]


class TypedMsgpack(TypedReader):
    """The MessagePack flavour: bin for bytes, map keys of their own type."""

    scalars: ClassVar[dict[str, ScalarRule]] = {
        "bool": (bool, None),
        **{k: (_int(k), "_uint64" if k == "uint64" else None) for k in INT_RANGES},
        "float32": (int | float, "_float32"),
        "float64": (int | float, "_float64"),
        "string": (str, None),
        "bytes": (bytes, None),
        "timestamp": (msgspec.msgpack.Ext, "_timestamp"),
        # [seconds, nanos]: any value, checked by the tree path's own rule.
        "duration": (Any, "_duration"),
    }
    helpers: ClassVar[dict[str, Callable[..., Any]]] = {
        "_timestamp": _timestamp,
        "_duration": duration_from_msgpack,
        "_uint64": uint64,
        "_float32": float32_round,
        "_float64": float64,
    }

    # uint64's helper is redundant here: MessagePack holds no integer above 2**64 - 1.
    bulk_same = frozenset({"bool", "int32", "int64", "uint32", "uint64", "string", "bytes"})
    bulk_keys = frozenset({"bool", "int32", "int64", "uint32", "uint64", "string"})

    def map_key(self, kind: str) -> ScalarRule:
        return self.scalars[kind]

    def __init__(self, schema: Schema, root: str, *, drop_unknown: bool = False) -> None:
        super().__init__(schema, root, drop_unknown=drop_unknown)
        #: One record's Struct from its bytes (``convert`` makes it canonical).
        self.parse: Callable[[bytes], Any] = msgspec.msgpack.Decoder(self.root_type).decode
        #: One record from its bytes, or an exception from ``REJECTED``.
        self.decode: Callable[[bytes], dict[str, Any]] = compose(self.parse, self.convert)
