"""Duplicate map keys in MessagePack input are an error, proven absent without a second
parse for the common record.

msgpack and msgspec keep the last of two equal keys and say nothing, which would drop a
value silently (JSON and XML refuse duplicates; so does fmtbench's MessagePack). The tree
path builds every map through ``unique_map``, which refuses them. The typed path (msgspec
into Structs) cannot see them, so a record it reads is proven free of them by length: its
Structs, written back by msgspec, hold every value as it was read (integers as integers,
timestamps as the extension they came in, absent optionals absent), each in the shortest
form, so

- every part of the input is at least as long as what the Structs write back for it, with
  one exception: a float32-encoded number (``0xca``), which msgspec reads as a float and
  writes as float64; the bytes are searched for that marker;
- a duplicate entry adds at least two bytes (its key and value) that the Structs lack.

So when the Structs write back exactly ``len(input)`` bytes and there is no ``0xca`` byte,
no entry was dropped. Nor was one when they write back the input itself, byte for byte
(what msgspec wrote, fmtbench's own output, always does): those bytes hold no duplicate.
That one also holds where ``0xca`` bytes abound inside float64 values (``mesh``). Anything else (a wider encoding by another writer, a ``0xca`` byte
inside some value: a fifth of ``order`` records, a twentieth of ``log`` ones) takes the
full check: the input parsed again with ``unique_map``.
"""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.values.leaves import _clip


class DuplicateKey(ValueError):
    """Two entries of one map have equal keys (``true`` and ``1`` are equal to Python)."""


def unique_map(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """``object_pairs_hook`` for msgpack: the map, or ``DuplicateKey``."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: dict[Any, Any] = {}
        for key, _ in pairs:
            if key in seen:
                earlier = next(k for k in seen if k == key)
                same = "" if repr(earlier) == repr(key) else f" (equal to the earlier {earlier!r})"
                raise DuplicateKey(
                    f"duplicate map key {_clip(repr(key))}{same}: one of its values would be"
                    " dropped"
                )
            seen[key] = None
    return out
