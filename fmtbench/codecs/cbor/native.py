"""CBOR's native step for ``bench``: cbor2's own ``dumps``/``loads`` on the same values,
with the mapping's tags as cbor2 hooks on both sides (a user of cbor2 alone would need
them: cbor2 has no tag for a time with nanoseconds, nor for a duration).

``loads`` is the codec's call: its semantic decoders turn tags 1, 1001 and 1002 into
datetimes and timedeltas, and it refuses duplicate keys. ``dumps`` writes those values back
through ``encoders`` hooks, deterministically (canonical, and maps keyed by integers of
both signs in bytewise order). The objects encoded are what ``loads`` returned for the
codec's bytes, so both directions work on one set of values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import cbor2

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.cbor.codec import DECODE_OPTIONS, ENCODE_OPTIONS
from fmtbench.codecs.cbor.mapping import duration_out, timestamp_out
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.values import Duration, Timestamp


def _timestamp(encoder: Any, v: datetime) -> None:
    encoder.encode(timestamp_out(v))


def _duration(encoder: Any, v: timedelta) -> None:
    encoder.encode(duration_out(v))


NATIVE_ENCODE: dict[str, Any] = {
    **ENCODE_OPTIONS,
    "encoders": {
        **ENCODE_OPTIONS["encoders"],
        datetime: _timestamp,
        Timestamp: _timestamp,
        timedelta: _duration,
        Duration: _duration,
    },
}


def dumps(tree: Any) -> bytes:
    return cbor2.dumps(tree, **NATIVE_ENCODE)


def loads(data: bytes) -> Any:
    return cbor2.loads(data, **DECODE_OPTIONS)


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    trees = [loads(codec.encode(r)) for r in records]  # outside the timing
    return NativeStep(trees, dumps, loads)


NATIVE = Native("cbor2", step)
