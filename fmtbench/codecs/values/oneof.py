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


def two_set_test(msg: Message, d: str, bind: Callable[[frozenset[str]], str]) -> str | None:
    """Source of a test that is true when dict ``d`` (a record of ``msg`` a fast path built,
    or was given, holding every non-optional field) sets two members of one group; None when
    ``msg`` has no group to check. ``bind`` names a members set in the generated namespace.

    Cheap first: with at most one key beyond the non-optional fields, at most one member can
    be set, and the sets are not even looked at (a message of unions alone, like
    OpenTelemetry's AnyValue, never looks)."""
    found = groups(msg)
    if not found:
        return None
    bound = sum(1 for f in msg.fields if not f.optional) + 1
    tests = " or ".join(f"len({d}.keys() & {bind(members)}) > 1" for _, members, _ in found)
    return f"len({d}) > {bound} and ({tests})"
