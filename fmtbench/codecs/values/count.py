"""How many values a record will hold, counted before it is built (``Limits.record_values``).

A record's input bytes bound what it spells out, not what it becomes: a message left empty
(``{}``, one byte of MessagePack) is read as every one of its fields at its zero value, so a
1 MB MessagePack record of a million empty children became 19 million values and 2.25 GB.
The limit counts values in the canonical form: every field of every message (zero-filled ones
included), every list element, every map entry.

Counting costs a walk, so it is done only where it could matter. ``per_byte`` is the most
values one input byte can become (an empty message of the widest type, with the zero-filled
messages its required fields hold); a record of ``size`` bytes holds at most
``(size + 1) * per_byte`` values, so ``safe(size)`` answers for nearly every record with one
multiplication. Only a record too large for that is counted exactly, on what the format's
parser returns (a tree of dicts and lists here; XML and Protobuf count their own trees with
``ValuePlans``) and before any conversion, which is where memory would go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fmtbench.errors import LimitError
from fmtbench.schema.model import ListOf, MapOf, MessageRef, Schema


@dataclass(frozen=True)
class Plan:
    """What a message of one type holds, for counting."""

    required: int  # non-optional fields: always in the canonical record
    optional: tuple[str, ...]
    #: (field, how, inner message or "", optional, values of the zero message of inner)
    children: tuple[tuple[str, str, str, bool, int], ...]


def zero_values(schema: Schema) -> dict[str, int]:
    """Values in the zero record of each message type (its non-optional fields, and the
    zero messages those hold). Required cycles are refused by the loader: this ends."""
    out: dict[str, int] = {}

    def size(name: str) -> int:
        if name not in out:
            total = 0
            for f in schema.messages[name].fields:
                if not f.optional:
                    total += 1
                    if isinstance(f.type, MessageRef):
                        total += size(f.type.name)
            out[name] = total
        return out[name]

    # Depth-first over required chains, which forced_depth keeps to the depth limit.
    for name in schema.messages:
        size(name)
    return out


def value_plans(schema: Schema) -> dict[str, Plan]:
    zero = zero_values(schema)
    plans = {}
    for name, msg in schema.messages.items():
        children = []
        for f in msg.fields:
            t = f.type
            if isinstance(t, MessageRef):
                children.append((f.name, "one", t.name, f.optional, zero[t.name]))
            elif isinstance(t, ListOf):
                inner = t.item.name if isinstance(t.item, MessageRef) else ""
                children.append((f.name, "list", inner, f.optional, 0))
            elif isinstance(t, MapOf):
                inner = t.value.name if isinstance(t.value, MessageRef) else ""
                children.append((f.name, "map", inner, f.optional, 0))
        plans[name] = Plan(
            required=sum(1 for f in msg.fields if not f.optional),
            optional=tuple(
                f.name
                for f in msg.fields
                if f.optional and not isinstance(f.type, MessageRef | ListOf | MapOf)
            ),
            children=tuple(children),
        )
    return plans


def over_limit(limit: int) -> LimitError:
    return LimitError(
        f"the record holds more than {limit} values once read (every field of every message,"
        " zero-filled ones included, every list element and map entry), over the limit of"
        f" {limit} (--max-record-values; by default --max-record-bytes / 16)"
    )


class ValueCount:
    """Counts the values of records of one type, against one limit."""

    def __init__(self, schema: Schema, root: str, limit: int) -> None:
        self.root, self.limit = root, limit
        self.plans = value_plans(schema)
        zero = zero_values(schema)
        self.per_byte = 1 + max(zero.values(), default=0)
        #: The largest record, in bytes, that cannot hold more values than the limit: hot
        #: paths compare ``len(data)`` with it inline (``safe`` is the same test, spelled out).
        self.safe_size = limit // self.per_byte - 1
        #: The most values a message of each bounded type can hold (see ``flat_most``).
        self.most = flat_most(self.plans)

    def safe(self, size: int) -> bool:
        """True when no record of ``size`` input bytes can hold more values than the limit."""
        return (size + 1) * self.per_byte <= self.limit

    def tree(self, tree: Any) -> None:
        """Count a record as JSON or MessagePack parse it (dicts, lists, leaves); raise
        LimitError past the limit. Values of the wrong type are left to the converter."""
        plans, limit, most = self.plans, self.limit, self.most
        total = 0
        stack = [(tree, self.root)]
        # Lists of a bounded type are counted by their length first (see Deferred).
        later = Deferred(limit)
        while stack or later.due(total, stack):
            value, name = stack.pop()
            if type(value) is not dict:
                continue
            plan = plans[name]
            total += plan.required
            for field in plan.optional:
                if value.get(field) is not None:
                    total += 1
            for field, how, inner, optional, zero in plan.children:
                x = value.get(field)
                if x is None:
                    if how == "one" and not optional:
                        total += zero  # zero-filled: the field itself is in ``required``
                    continue
                if optional:
                    total += 1
                if how == "one":
                    stack.append((x, inner))
                elif how == "list" and type(x) is list:
                    total += len(x)
                    if inner:
                        if inner in most and later.open:
                            later.add(x, inner, most[inner])
                        else:
                            stack.extend((item, inner) for item in x)
                elif how == "map" and type(x) is dict:
                    total += len(x)
                    if inner:
                        stack.extend((item, inner) for item in x.values())
            if total > limit:
                raise over_limit(limit)


def flat_most(plans: dict[str, Plan]) -> dict[str, int]:
    """The most values a message of each type can hold, for the types that bound it: no
    list or map at any depth below, no recursion. A field counts whether present or not, a
    sub-message as its own most (at least its zero message's values)."""
    out: dict[str, int] = {}
    unbounded: set[str] = set()

    def most(name: str, seen: frozenset[str]) -> int | None:
        if name in out:
            return out[name]
        if name in unbounded or name in seen:
            return None
        plan = plans[name]
        total = plan.required + len(plan.optional)
        for _, how, inner, optional, _ in plan.children:
            sub = most(inner, seen | {name}) if how == "one" else None
            if sub is None:
                unbounded.add(name)
                return None
            total += sub + (1 if optional else 0)
        out[name] = total
        return total

    for name in plans:
        most(name, frozenset())
    return out


class Deferred:
    """Lists of a bounded type, counted at their most (length x the type's most) instead of
    item by item: a batch of 100,000 flat records costs a multiplication, not a walk.

    Only an upper bound is added, never to the count the limit is checked against; if the
    count and the bounds together pass the limit at the end, the lists are handed back to
    be walked item by item, so the outcome (and the point where it is raised) stays exact.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[tuple[Any, str]] = []
        self.bound = 0
        self.open = True  # False once handed back: later lists are walked at once

    def add(self, items: Any, inner: str, most: int) -> None:
        self.items.append((items, inner))
        self.bound += len(items) * most

    def due(self, total: int, stack: list[tuple[Any, str]]) -> bool:
        """Called with the walk's stack empty: True after refilling it, when the bounds
        cannot vouch for the limit."""
        if not self.items or total + self.bound <= self.limit:
            return False
        self.open = False
        for items, inner in self.items:
            stack.extend((item, inner) for item in items)
        self.items.clear()
        return True
