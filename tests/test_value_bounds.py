"""Lists of a bounded message type are counted by their length first (values/count.py,
``Deferred``): the outcome must be the exact count's, on both sides of the limit, whether
the bound vouches for the limit or the items have to be walked after all."""

from __future__ import annotations

import pytest

from fmtbench.codecs import codec_for
from fmtbench.codecs.values.count import flat_most, value_plans
from fmtbench.errors import LimitError
from fmtbench.limits import Limits
from fmtbench.schema.loader import parse_schema
from tests.test_expansion import canonical_values

SCHEMA = parse_schema(
    """
schema: t.bounds
root: Batch
messages:
  Batch:
    fields:
      events: list<Event> = 1
      trees: list<Node> = 2
  Event:
    fields:
      name: string = 1
      note: optional string = 2
      at: Point = 3
      maybe: optional Point = 4
  Point:
    fields:
      x: int32 = 1
      y: int32 = 2
  Node:
    fields:
      kids: list<Node> = 1
"""
)


def test_flat_most_bounds_flat_types_only() -> None:
    most = flat_most(value_plans(SCHEMA))
    assert most["Point"] == 2
    # name, note, at (+2), maybe (+1 +2)
    assert most["Event"] == 8
    assert "Node" not in most
    assert "Batch" not in most


def _batch(n: int, *, full: bool) -> dict[str, object]:
    event: dict[str, object] = {"name": "a", "at": {"x": 1, "y": 2}}
    if full:
        event |= {"note": "n", "maybe": {"x": 0, "y": 0}}
    return {"events": [dict(event) for _ in range(n)], "trees": []}


@pytest.mark.parametrize("fmt", ["protobuf", "json", "msgpack", "protojson"])
@pytest.mark.parametrize("full", [False, True])
def test_exact_at_the_limit_and_one_under(fmt: str, full: bool) -> None:
    n = 50
    record = _batch(n, full=full)
    # Each event: itself as a list item, then its values (name, at and its two; full: note,
    # maybe and its two as well); plus the root's two fields.
    exact = 2 + n * (1 + (8 if full else 4))
    assert exact == canonical_values(SCHEMA, "Batch", record)
    data = codec_for(fmt, SCHEMA).encode(record)
    # A byte limit small enough that the count is not skipped as safe.
    at = codec_for(fmt, SCHEMA, limits=Limits(max_record_bytes=1 << 20, max_record_values=exact))
    at.values.safe_size = 0  # count every record, whatever its size
    assert at.decode(data)["events"][0]["name"] == "a"
    at.values.tree(record)
    under = codec_for(fmt, SCHEMA, limits=Limits(max_record_values=exact - 1))
    with pytest.raises(LimitError, match="--max-record-values"):
        under.values.tree(record)
    with pytest.raises(LimitError, match="--max-record-values"):
        under.decode(data)  # the format's own count, on what its parser returns
