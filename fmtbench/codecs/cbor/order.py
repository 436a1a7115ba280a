"""Map keys in RFC 8949's deterministic order, where cbor2's canonical mode differs.

RFC 8949 (section 4.2.1) orders a map's keys by the bytes of their encodings. cbor2's
``canonical=True`` orders them length-first, as RFC 7049 did (measured on cbor2 6.3: keys
-1 and 24 come as ``20``, ``18 18``). The two orders agree for text keys (every message),
bool keys, and integer keys of one sign: a wider encoding of a non-negative integer is a
larger one, and so for negative ones. They differ only for a map holding both signs, where
every non-negative key comes first in bytewise order (major type 0 before 1).

So maps keyed by a signed integer type are, when they hold keys of both signs, wrapped in
``Bytewise``, which cbor2 writes through ``BYTEWISE_ENCODERS`` in bytewise order (their
values still canonical). Schemas without such maps pay nothing: ``bytewise_maps`` is None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fmtbench.schema.model import ListOf, MapOf, MessageRef, Schema

_SIGNED = ("int32", "int64")


class Bytewise(dict[Any, Any]):
    """A map cbor2 writes with its keys in bytewise order."""


def _key(k: int) -> tuple[bool, int]:
    return k < 0, -k if k < 0 else k  # 0, 1, ... then -1, -2, ...: their encodings' order


def _encode(encoder: Any, m: Bytewise) -> None:
    encoder.encode_length(5, len(m))
    for k in sorted(m, key=_key):
        encoder.encode(k)
        encoder.encode(m[k])


BYTEWISE_ENCODERS: dict[type, Callable[[Any, Any], None]] = {Bytewise: _encode}

#: (field, how it holds what is walked: "map", "message", "messages", "values", the
#: message type inside or "")
Step = tuple[str, str, str]


def _steps(schema: Schema) -> dict[str, list[Step]]:
    out: dict[str, list[Step]] = {}
    for name, msg in schema.messages.items():
        steps: list[Step] = []
        for f in msg.fields:
            t = f.type
            if isinstance(t, MapOf):
                inner = t.value.name if isinstance(t.value, MessageRef) else ""
                if t.key.kind in _SIGNED:
                    steps.append((f.name, "map", inner))
                elif inner:
                    steps.append((f.name, "values", inner))
            elif isinstance(t, ListOf) and isinstance(t.item, MessageRef):
                steps.append((f.name, "messages", t.item.name))
            elif isinstance(t, MessageRef):
                steps.append((f.name, "message", t.name))
        out[name] = steps
    return out


def bytewise_maps(schema: Schema, root: str) -> Callable[[Any], None] | None:
    """Wraps, in place, every map of a written tree that needs ``Bytewise``; None when the
    schema's records of type ``root`` can hold none."""
    steps = _steps(schema)
    holds = {n for n, s in steps.items() if any(how == "map" for _, how, _ in s)}
    grew = True
    while grew:  # messages that reach one through others (recursive schemas too)
        grew = False
        for n, s in steps.items():
            if n not in holds and any(inner in holds for _, _, inner in s):
                holds.add(n)
                grew = True
    if root not in holds:
        return None
    plans = {
        n: [(f, how, inner if inner in holds else "") for f, how, inner in s]
        for n, s in steps.items()
    }

    def wrap(tree: Any) -> None:
        todo = [(tree, root)]
        while todo:
            message, name = todo.pop()
            for field, how, inner in plans[name]:
                x = message.get(field)
                if not x:
                    continue
                if how == "map" and min(x) < 0 <= max(x):
                    message[field] = Bytewise(x)
                if not inner:
                    continue
                if how == "message":
                    todo.append((x, inner))
                elif how == "messages":
                    todo.extend((v, inner) for v in x)
                else:
                    todo.extend((v, inner) for v in x.values())

    return wrap
