"""How deeply a recursive record's Structs nest, counted a level at a time in C, so that
the writer's fast path can stand in for base.py's ``--max-depth`` walk.

A recursive record type (``tree``) is walked before every write (base.py,
``write_check``), in Python, a node at a time: that walk cost as much as writing the
record. The fast writer (write.py) has the record as Structs already; here their message
levels are counted with C iterators (``attrgetter``, ``map``, ``chain``), a Python step per
level and message type, never per node. From the levels follows a bound on the depth as
``--max-depth`` counts it (``most_levels``); a record within it cannot fail the walk and is
written without it. Any other record (deeper, or declined by the fast path) takes the
walked path, which refuses it with the path of its deepest field as before.

The writer mostly needs no count: its Structs unrolled a class a level down to
``most_levels`` refuse a deeper record during ``msgspec.convert`` (write.py
``_unrolled``); the count serves where that would take too many classes, and tests a
uint64's top in JSON where the bytes written cannot rule a large one out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import chain, filterfalse
from operator import attrgetter, is_
from typing import TYPE_CHECKING, Any

import msgspec

from fmtbench.limits import nesting_check
from fmtbench.schema.model import (
    INT_RANGES,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    reachable_messages,
)

if TYPE_CHECKING:
    from fmtbench.codecs.base import Codec

_unset = partial(is_, msgspec.UNSET)
#: Not a message name (names are identifiers): where uint64 values are gathered.
_UINT64 = " uint64"
_UINT64_MAX = INT_RANGES["uint64"][1]
_flat = chain.from_iterable


def _values(maps: Any) -> Any:
    return _flat(map(dict.values, maps))


class OverUint64(ValueError):
    """A uint64 value past 2**64 - 1 (a ValueError: one of write.py's DECLINED)."""


def level_counter(schema: Schema, root: str, *, uint64: bool = False) -> Callable[[Any, int], int]:
    """A count of the message levels of a ``root`` Struct (write.py's ``f0``, ``f1``...
    attributes), the root's own included, stopping once past ``most``. ``uint64``: also
    raise ``OverUint64`` for a uint64 value past its top, which msgspec's JSON writer
    would write (the guard's test, a list at a time)."""
    edges: dict[str, list[tuple[Callable[[Any], Any], bool, Any, str]]] = {}
    for msg in reachable_messages(schema, root):
        out: list[tuple[Callable[[Any], Any], bool, Any, str]] = []
        for i, f in enumerate(msg.fields):
            inner = element_type(f.type)
            if uint64 and isinstance(inner, Scalar) and inner.kind == "uint64":
                child = _UINT64  # gathered as a message's children are, then tested
            elif isinstance(inner, MessageRef):
                child = inner.name
            else:
                continue
            spread: Any = None  # a single message: as it is
            if isinstance(f.type, ListOf):
                spread = _flat
            elif isinstance(f.type, MapOf):
                spread = _values
            out.append((attrgetter(f"f{i}"), f.optional, spread, child))
        edges[msg.name] = out
    edges[_UINT64] = []

    def count(s: Any, most: int) -> int:
        levels = 0
        todo: dict[str, list[Any]] = {root: [s]}
        while todo and levels <= most:
            levels += 1
            below: dict[str, list[Any]] = {}
            for name, structs in todo.items():
                for get, optional, spread, child in edges[name]:
                    found: Any = map(get, structs)
                    if optional:
                        found = filterfalse(_unset, found)
                    if spread is not None:
                        found = spread(found)
                    below.setdefault(child, []).extend(found)
            tops = below.pop(_UINT64, None)
            if tops and max(tops) > _UINT64_MAX:  # msgspec took ints only (>= 0)
                raise OverUint64
            todo = {name: structs for name, structs in below.items() if structs}
        return levels

    return count


def most_levels(schema: Schema, root: str, max_depth: int) -> int:
    """The most message levels a ``root`` record may have and still nest within
    ``max_depth`` as Protobuf counts it, whatever its fields hold: each level below the
    root adds at most the deepest step a message field takes (a message in a map: 2, its
    entry and itself), and the last level at most the deepest a leaf field takes (a
    timestamp in a map: 2; a map of leaves: 1)."""
    step, last = 0, 0
    for msg in reachable_messages(schema, root):
        for f in msg.fields:
            inner = element_type(f.type)
            levels = 2 if isinstance(f.type, MapOf) else 1
            if isinstance(inner, MessageRef):
                step = max(step, levels)
            elif isinstance(inner, Scalar) and inner.kind in ("timestamp", "duration"):
                last = max(last, levels)
            elif isinstance(f.type, MapOf):
                last = max(last, 1)
    if step == 0:
        return 1 if last <= max_depth else 0
    return max((max_depth - last) // step + 1, 0)


def unwalked(
    codec: Codec, encode_within: Callable[[int], Callable[[Any], bytes]] | None
) -> Callable[[Any], bytes] | None:
    """``encode_within`` (the fast path, declining records of more levels than asked) for
    the records no walk could refuse, or None where none is needed (no walk is made), the
    format's own nesting cap (``Codec.nesting``) needs a walk of its own, or there is no
    fast path."""
    if encode_within is None or codec.write_check() is None:
        return None
    schema, root, max_depth = codec.schema, codec.message.name, codec.limits.max_depth
    own = codec.nesting
    if own is not None and (
        nesting_check(schema, root, own, cap=own.cap, too_deep=own.too_deep, within=max_depth)
        is not None
    ):
        return None
    most = most_levels(schema, root, max_depth)
    return encode_within(most)
