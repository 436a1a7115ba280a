"""The typed JSON fast path (typed.py) against the reference tree path: it never accepts
what the tree path rejects, and when it accepts it returns exactly the tree path's value.

Generated records are mutated with hostile values, bad map keys, unknown and duplicate keys.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.json.typed import REJECTED
from fmtbench.errors import DecodeError
from tests.samples import same, tree_paths
from tests.strategies import SCHEMAS, records, schema_named

HOSTILE = [
    None,
    1.0,
    1.5,
    -1,
    0,
    2**53 + 1,
    -(2**53) - 1,
    2**63,
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    2**31,
    2**32,
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "",
    "A",
    "AAE=",
    "AAE",
    "AAF=",
    "AA==",
    "AA+/",
    "AA-_",
    "2024-01-01T10:00:00Z",
    "2024-01-01t10:00:00z",
    "2024-01-01 10:00:00Z",
    "2024-01-01T10:00:60Z",
    "2024-01-01T10:00:00.1234567Z",
    "2024-01-01T10:00:00.1234560Z",
    "2024-01-01T10:00:00.1234560000Z",
    "2024-01-01T10:00:00+02:30",
    "2024-01-01T10:00:00-00:00",
    "2024-01-01T10:00:00.5Z",
    "2024-01-01T10:00:00.12Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2024-02-30T00:00:00Z",
    "2024-01-31T24:00:00Z",
    "0000-01-01T00:00:00Z",
    "\u0662024-01-31T13:00:00Z",
    "2024-01-01T10:00:00.000000Z",
    "2024-01-01T10:00:00",
    "2024-01-01T10:00:00+2:30",
    "PENDING",
    "PAID",
    "pending",
    True,
    False,
    [],
    {},
    [1],
    {"x": 1},
    1e308,
    3.4028235e38,
    3.5e38,
    1e-46,
    -0.0,
    0.1,
    "\ud800x",
]


def check(codec: JsonCodec, data: bytes) -> None:
    fast: Any
    ref: Any
    try:
        fast = codec._typed.decode(data)  # type: ignore[union-attr]
    except REJECTED:
        fast = REJECTED
    try:
        ref = codec.from_tree(orjson.loads(data))
    except (DecodeError, orjson.JSONDecodeError):
        ref = DecodeError
    if fast is REJECTED:
        return
    assert ref is not DecodeError, f"fast path accepted what the tree rejects: {data!r} -> {fast!r}"
    assert same(fast, ref), f"values differ for {data!r}:\n{fast!r}\n{ref!r}"
    assert list(fast) == list(ref), f"key order differs for {data!r}"


def check_file(codec: JsonCodec, data: bytes) -> None:
    fast: Any
    try:
        fast = codec._typed.decode_file(data)
    except REJECTED:
        return
    tree = orjson.loads(data)
    try:
        ref = (
            [codec.from_tree(t) for t in tree] if isinstance(tree, list) else codec.from_tree(tree)
        )
    except DecodeError:
        raise AssertionError(f"file: fast path accepted what the tree rejects: {data!r}") from None
    assert same(fast, ref), f"file values differ for {data!r}"


KEYS = [
    "01",
    "-0",
    "+1",
    " 1",
    "1 ",
    "1.0",
    "1e2",
    "TRUE",
    "True",
    "1",
    "0",
    "-1",
    "true",
    "false",
    "\u0661",
    "4294967296",
    "-2147483649",
    "18446744073709551616",
    "9223372036854775808",
    "",
    "0x1",
]


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def set_at(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for p in path[:-1]:
        tree = tree[p]
    tree[path[-1]] = value


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("name", SCHEMAS)
def test_fast_path_agrees_with_the_tree_path(name: str, drop: bool) -> None:
    schema = schema_named(name)
    codec = JsonCodec(schema, drop_unknown=drop)
    if codec._typed is None:
        pytest.skip(f"{name}: the typed path does not cover this schema")

    @given(rec=records(schema), rnd=st.randoms(use_true_random=False))
    def prop(rec: dict[str, Any], rnd: Any) -> None:
        data = codec.encode(rec)
        check(codec, data)
        check_file(codec, data)
        check_file(codec, b"[" + data + b",\n" + data + b"]")
        check_file(codec, b"[]")
        tree = orjson.loads(data)
        paths = list(tree_paths(tree))
        for _ in range(6):
            t = orjson.loads(data)
            if paths and rnd.random() < 0.8:
                p = rnd.choice(paths)
                try:
                    set_at(t, p, rnd.choice(HOSTILE))
                except (KeyError, IndexError, TypeError):
                    continue
            elif rnd.random() < 0.5:
                dicts = [p for p in paths if isinstance(_get(t, p), dict)]
                if not dicts:
                    continue
                d = _get(t, rnd.choice(dicts))
                val = next(iter(d.values()), rnd.choice(HOSTILE))
                d[rnd.choice(KEYS)] = val
            else:
                t["unknown_" + str(rnd.randint(0, 3))] = rnd.choice(HOSTILE)
            try:
                mutated = orjson.dumps(t)
            except TypeError:
                continue
            check(codec, mutated)
            check_file(codec, b"[" + data + b"," + mutated + b"]")
        # duplicate keys: repeat the first key with a hostile value, before and after
        if tree:
            k = next(iter(tree))
            body = data[1:-1]
            for v in (rnd.choice(HOSTILE), tree[k]):
                try:
                    dup = orjson.dumps({k: v})[1:-1]
                except TypeError:
                    continue
                check(codec, b"{" + dup + (b"," + body if body else b"") + b"}")
                check(codec, b"{" + body + (b"," if body else b"") + dup + b"}")

    prop()
