"""A bad value deep in nested lists is found in one pass: the error path is linear in depth."""

from __future__ import annotations

import pytest

from fmtbench.codecs import codec_for
from fmtbench.errors import EncodeError
from fmtbench.schema import parse_schema

TREE = parse_schema(
    "schema: t.deep\nroot: Node\nmessages:\n  Node:\n    fields:\n"
    "      name: string = 1\n      kids: list<Node> = 2\n      named: map<string, Node> = 3\n"
)


def nested(depth: int, via: str) -> dict:
    node: dict = {"name": 5, "kids": [], "named": {}}  # the bad value, at the bottom
    for _ in range(depth):
        inner = node
        node = {"name": "n", "kids": [], "named": {}}
        if via == "list":
            node["kids"] = [{"name": "ok", "kids": [], "named": {}}, inner]
        else:
            node["named"] = {"k": inner}
    return node


@pytest.mark.parametrize("via", ["list", "map"])
@pytest.mark.parametrize("fmt", ["json", "msgpack", "protobuf", "xml"])
def test_deep_error_is_found_fast_and_named(fmt: str, via: str) -> None:
    codec = codec_for(fmt, TREE)
    # Depth 40: an error path that re-ran the failing subtree at every level (2**40 steps)
    # would never return.
    with pytest.raises(EncodeError) as info:
        codec.encode(nested(40, via))
    step = "kids[1]" if via == "list" else 'named["k"]'
    assert info.value.path == ".".join([step] * 40) + ".name"
