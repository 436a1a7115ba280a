"""Equal records give equal bytes in every format, whatever the insertion order of their maps."""

from __future__ import annotations

import pytest

from fmtbench.codecs import FORMATS, codec_for
from tests.samples import SENSORS, sensor_schema


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_map_insertion_order_does_not_change_the_bytes(fmt: str) -> None:
    codec = codec_for(fmt, sensor_schema())
    record = SENSORS[0]
    shuffled = {
        **record,
        "tags": dict(reversed(list(record["tags"].items()))),
        "histogram": dict(reversed(list(record["histogram"].items()))),
        "enabled": dict(reversed(list(record["enabled"].items()))),
    }
    assert shuffled == record
    assert list(shuffled["histogram"]) != list(record["histogram"])
    assert codec.encode(shuffled) == codec.encode(record)
