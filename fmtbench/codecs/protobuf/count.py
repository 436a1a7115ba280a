"""Values of a parsed Protobuf message, counted before the walk builds the record.

upb holds a parsed message compactly; the walk to the canonical record is where an empty
sub-message (two bytes on the wire) becomes every one of its fields. So a message too large
for ``ValueCount.safe`` is counted here, on upb's objects, with the plans of
``values/count.py``: an absent non-optional sub-message reads as upb's empty default, and
walking that counts its zero-filled fields as the record will hold them.
"""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.values.count import Deferred, ValueCount, over_limit


def bound(size: int, per_byte: int) -> int:
    """The most values ``size`` bytes of Protobuf can become: a value takes a byte at least,
    a sub-message two (its key and length), and gains at most ``per_byte`` zero-filled ones."""
    return size + (size // 2 + 1) * per_byte


def count_message(values: ValueCount, msg: Any, classes: dict[str, type[Any]]) -> None:
    """Raise LimitError when the record of ``msg`` would hold more values than the limit."""
    plans, limit, most = values.plans, values.limit, values.most
    has = {name: cls.HasField for name, cls in classes.items()}
    total = 0
    stack = [(msg, values.root)]
    later = Deferred(limit)  # lists of a bounded type: by their length first
    while stack or later.due(total, stack):
        m, name = stack.pop()
        plan = plans[name]
        has_field = has[name]
        total += plan.required
        for field in plan.optional:
            if has_field(m, field):
                total += 1
        for field, how, inner, optional, _ in plan.children:
            if how == "one":
                if optional:
                    if not has_field(m, field):
                        continue
                    total += 1
                stack.append((getattr(m, field), inner))
                continue
            x = getattr(m, field)
            total += len(x)
            if inner:
                if how == "list" and inner in most and later.open:
                    later.add(x, inner, most[inner])
                else:
                    stack.extend((item, inner) for item in (x if how == "list" else x.values()))
        if total > limit:
            raise over_limit(limit)
