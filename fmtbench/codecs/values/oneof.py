"""The one rule of a union (``oneof``) that no per-field walk sees: at most one member set.

Members are optional fields to every walk (``Field.optional`` is True for them), so each
codec reads and writes them as it does optional fields; what it adds, for messages that
have a group of two members or more and only for those, is this check on the record it
built (decoding) or was given (encoding). A fast path that finds two set declines, and its
reference path raises ``two_set``'s error with the field path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import Message

#: (group name, its member names) for every group that could hold two members.
Groups = tuple[tuple[str, frozenset[str], tuple[str, ...]], ...]


def groups(msg: Message) -> Groups:
    """The groups of ``msg`` that two members could break (one-member groups cannot)."""
    return tuple(
        (g.name, frozenset(g.members), g.members) for g in msg.oneofs if len(g.members) > 1
    )


def two_set(group: str, present: list[str]) -> ValueMismatch:
    """The error for a record with members ``present`` (two or more) of ``group`` set."""
    first, second = present[0], present[1]
    return ValueMismatch(f"{first} and {second} are both set; a oneof holds one").at(group)


def checker(msg: Message) -> Callable[[Mapping[str, Any]], None] | None:
    """A check raising ``two_set``'s error for a record of ``msg``; None when there is
    nothing to check."""
    found = groups(msg)
    if not found:
        return None

    def check(record: Mapping[str, Any]) -> None:
        for group, members, order in found:
            if len(record.keys() & members) > 1:
                raise two_set(group, [m for m in order if m in record])

    return check
