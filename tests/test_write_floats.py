"""The writer's bulk float test (structs/floats.py) against the tree path: a record with
many floats (``mesh``) has them tested a list at a time; any value the per-leaf guard
would refuse, however deep in a list, still sends the record to the tree path, which
writes the same bytes or raises today's error naming the field."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from fmtbench.codecs.base import Codec
from fmtbench.codecs.json.codec import WRITE_TARGET as JSON_TARGET
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.msgpack.codec import WRITE_TARGET as MSGPACK_TARGET
from fmtbench.codecs.msgpack.codec import MsgpackCodec
from fmtbench.codecs.structs.write import DECLINED, MANY_FLOATS, compile_writer
from fmtbench.errors import EncodeError
from fmtbench.generate import load_dataset
from tests.test_typed_write import reference

CODECS: dict[str, tuple[type[Codec], Any]] = {
    "json": (JsonCodec, JSON_TARGET),
    "msgpack": (MsgpackCodec, MSGPACK_TARGET),
}

#: Values a float32 leaf may be given, with what the tree path does with each.
ODD = [0.1, 3, 2**53 + 1, True, 3.5e38, 1e300, math.nan, math.inf, -math.inf, -0.0, "x", None]


def _mesh() -> tuple[Any, dict[str, Any]]:
    ds = load_dataset("mesh")
    record = next(iter(ds.generator().records(1)))
    while len(record["triangles"]) < 2 * MANY_FLOATS:  # enough for the bulk test
        record["triangles"] += copy.deepcopy(record["triangles"])
    return ds.schema, record


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("value", ODD, ids=repr)
def test_an_odd_float_deep_in_a_list_takes_the_tree_path(fmt: str, value: Any) -> None:
    schema, record = _mesh()
    cls, target = CODECS[fmt]
    codec = cls(schema)
    writer = compile_writer(schema, "Mesh", target)
    assert writer is not None
    assert writer.encode(record) == reference(codec, record)  # the bulk test accepts
    last = len(record["triangles"]) - 1
    record["triangles"][last]["normal"]["z"] = value
    ref = reference(codec, record)
    try:
        out = writer.encode(record)
    except DECLINED:
        out = None
    if out is not None:  # a value the tree path writes alike (-0.0; MessagePack's inf)
        assert out == ref
    if ref is EncodeError:
        with pytest.raises(EncodeError) as info:
            codec.encode(record)
        assert str(info.value).startswith(f"triangles[{last}].normal.z: ")
    else:
        assert codec.encode(record) == ref


def test_the_error_is_worded_as_before() -> None:
    schema, record = _mesh()
    record["triangles"][9]["v3"]["y"] = 3.5e38
    with pytest.raises(EncodeError, match=r"^triangles\[9\]\.v3\.y: 3\.5e\+38 is too large"):
        JsonCodec(schema).encode(record)
    record["triangles"][9]["v3"]["y"] = "1.5"
    with pytest.raises(EncodeError, match=r"^triangles\[9\]\.v3\.y: expected float64, got str"):
        MsgpackCodec(schema).encode(record)


@pytest.mark.parametrize("fmt", sorted(CODECS))
def test_json_infinities_are_spelled_by_the_tree_path(fmt: str) -> None:
    schema, record = _mesh()
    record["triangles"][-1]["v1"]["x"] = -math.inf
    cls, _ = CODECS[fmt]
    codec = cls(schema)
    assert codec.encode(record) == reference(codec, record)
    if fmt == "json":
        assert b'"x":"-Infinity"' in codec.encode(record)
