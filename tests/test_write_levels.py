"""The writers' level count (structs/levels.py) standing in for the ``--max-depth`` walk on
recursive record types: every record, at every depth around the limit, is written or
refused exactly as by the walked path, with the same words and field path."""

from __future__ import annotations

from typing import Any

import pytest

from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.msgpack.codec import MsgpackCodec
from fmtbench.codecs.structs import write
from fmtbench.codecs.structs.levels import most_levels
from fmtbench.codecs.structs.write import DECLINED
from fmtbench.errors import EncodeError
from fmtbench.generate import load_dataset
from fmtbench.limits import Limits
from tests.test_write_limits import DEEP, WHEN, nested

CODECS = {"json": JsonCodec, "msgpack": MsgpackCodec}


def outcome(encode: Any, record: Any) -> bytes | str:
    try:
        return encode(record)  # type: ignore[no-any-return]
    except EncodeError as exc:
        return str(exc)


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("max_depth", [3, 10, 100])
@pytest.mark.parametrize("unrolled", [True, False], ids=["unrolled", "counted"])
def test_records_around_the_limit_are_written_as_when_walked(
    fmt: str, max_depth: int, unrolled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The levels refused by convert on Structs unrolled a class a level, or counted.
    monkeypatch.setattr(write, "MOST_UNROLLED", write.MOST_UNROLLED if unrolled else 0)
    codec = CODECS[fmt](DEEP, limits=Limits(max_depth=max_depth))
    assert codec._unwalked is not None  # the count stands in for the walk here
    walked = codec._walked
    for levels in range(max(max_depth - 4, 0), max_depth + 4):
        for record in (
            nested(levels),
            nested(levels, "map"),
            nested(levels, leaf={"at": WHEN}),
            nested(levels, leaf={"ats": {"k": WHEN}}),
            nested(levels, leaf={"ats": {"k": WHEN, "j": "not a time"}}),
            nested(levels, leaf={"name": 5}),
        ):
            assert outcome(codec.encode, record) == outcome(walked, record)


@pytest.mark.parametrize("fmt", sorted(CODECS))
def test_a_bad_value_deep_in_a_tree_is_named_as_before(fmt: str) -> None:
    ds = load_dataset("tree")
    codec = CODECS[fmt](ds.schema)
    record: dict[str, Any] = {"id": 1, "name": "a", "kind": "ITEM", "attributes": {}}
    record["children"] = [dict(record, children=[dict(record, id=2**64, children=[])])]
    with pytest.raises(EncodeError, match=r"^children\[0\]\.children\[0\]\.id: .*out of range"):
        codec.encode(record)
    assert codec._unwalked is not None
    for value in (7, 2**63 - 1, 2**63, 2**64 - 1):  # past 2**63 - 1: counted, and written
        record["children"][0]["children"][0]["id"] = value
        assert codec._unwalked(record) == codec._walked(record)
        assert codec.encode(record) == codec._walked(record)
    record["children"][0]["children"][0]["id"] = 10**20
    with pytest.raises(DECLINED):
        codec._unwalked(record)


def test_the_bound_is_the_walks() -> None:
    """DEEP's deepest step is a message in a map (2 levels), its deepest leaf a timestamp
    in a map (2): 100 levels allow 1 + (100 - 2) // 2 message levels."""
    assert most_levels(DEEP, "Node", 100) == 50
    assert most_levels(DEEP, "Node", 1) == 0
    assert most_levels(load_dataset("tree").schema, "Node", 100) == 100
