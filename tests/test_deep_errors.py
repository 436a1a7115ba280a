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


@pytest.mark.parametrize(("levels", "max_depth"), [(400, 100), (250, 400), (2000, 3000)])
@pytest.mark.parametrize("fmt", ["jsonl", "msgpack"])
def test_a_record_too_deep_to_walk_is_named_truly(fmt: str, levels: int, max_depth: int) -> None:
    # Issue 12, item 21: the second record of a file, too deep for the Python walk, was
    # reported as record 3, without its line, and "over the limit" of a depth it was under.
    import io

    from fmtbench import FmtbenchError, LimitError, Limits, codec_for, resolve_schema

    schema = resolve_schema("sensor")
    # Written out directly: the libraries' own writers stop far short of 2000 levels.
    if fmt == "jsonl":
        data = b"{}\n" + b'{"children": [' * levels + b"{}" + b"]}" * levels + b"\n"
    else:
        data = b"\x80" + b"\x81\xa8children\x91" * levels + b"\x80"
    codec = codec_for(fmt, schema, limits=Limits(max_depth=max_depth))
    with pytest.raises(LimitError if levels <= 1024 else FmtbenchError) as info:
        list(codec.reader(io.BytesIO(data)))
    text = str(info.value)
    assert text.startswith("record 2: "), text
    if fmt == "jsonl":
        assert "line 2" in text
    if levels <= max_depth:
        assert "over the limit" not in text
    else:
        assert f"over the limit of {max_depth} (--max-depth)" in text
