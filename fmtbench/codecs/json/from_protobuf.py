"""A big Protobuf batch message written as JSON in two halves (``fmtbench/halves.py``).

A batch, a root message of one field holding a list of messages, is one record to
``convert``: the Protobuf reader walks the whole list to the record, then the JSON writer
writes it. Here each process walks half of the list with the reader's own generated walk of
the item type (protobuf/fast_read.py) and writes the root record holding those items with
the writer's own ``encode``: each half is read and checked as the whole would be, and its
text is the whole's with the other half's items missing. The halves' items, joined by a
comma inside the root's brackets, are the whole record's text byte for byte (msgspec writes
no space). Anything else (a walk that declines, an encoding that refuses, another field
set) leaves the message to the usual route: its record, then ``write``, with their errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fmtbench.halves import Pieces, in_two, worth_it
from fmtbench.schema.model import ListOf, MessageRef, Schema


def batch_field(schema: Schema, root: str) -> tuple[str, str] | None:
    """The field and item type of ``root`` where it holds one field, a list of messages."""
    fields = schema.messages[root].fields
    if len(fields) != 1 or schema.messages[root].oneofs:
        return None
    (f,) = fields
    if isinstance(f.type, ListOf) and isinstance(f.type.item, MessageRef):
        return f.name, f.type.item.name
    return None


def in_halves(
    encode: Callable[[dict[str, Any]], bytes],
    walk: Callable[[Any], Any],
    name: str,
    items: Sequence[Any],
) -> Pieces | None:
    """The JSON of the root record ``{name: items' records}`` written in two processes, as
    the pieces to write one after the other (joining them would copy the whole text once
    more), or None where the halves do not apply or a half refuses (the caller takes the
    usual route)."""
    if not worth_it(len(items)):
        return None
    empty = encode({name: []})
    at = empty.find(b"[]")
    head, tail = empty[: at + 1], empty[at + 1 :]
    if at < 0 or empty.find(b"[]", at + 1) >= 0:
        return None

    def half(part: Sequence[Any]) -> memoryview:
        text = encode({name: list(map(walk, part))})
        if not (text.startswith(head) and text.endswith(tail)):
            raise ValueError("not the batch's spelling")
        return memoryview(text)[len(head) : len(text) - len(tail)]

    h = len(items) // 2
    try:
        mine, theirs = in_two(lambda: half(items[:h]), lambda: half(items[h:]))
    except Exception:  # any reason at all: the usual route decides
        return None
    return [head, mine, b",", theirs, tail]
