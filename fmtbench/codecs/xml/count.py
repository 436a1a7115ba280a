"""Values of an XML record, counted on its elements before the decoder builds it.

The reader keeps one record's elements at a time (``XmlReader``); decoding fills every
absent non-optional field with its zero value, which is where an element left empty
(``<children/>``, eleven bytes) becomes a message of every field. A record too large for
``ValueCount.safe`` is counted here first with the plans of ``values/count.py``: each child
element names its field, a list item or map entry is an element of its own, an attribute is
an optional scalar.
"""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.values.count import ValueCount, over_limit


def count_element(values: ValueCount, elem: Any) -> None:
    """Raise LimitError when the record of ``elem`` would hold more values than the limit."""
    plans, limit = values.plans, values.limit
    kinds = {
        name: {
            field: (how, inner, optional, zero) for field, how, inner, optional, zero in p.children
        }
        for name, p in plans.items()
    }
    optional = {name: frozenset(p.optional) for name, p in plans.items()}
    total = 0
    stack = [(elem, values.root)]
    while stack:
        e, name = stack.pop()
        plan, fields, scalars = plans[name], kinds[name], optional[name]
        total += plan.required
        total += sum(1 for a in e.attrib if a in scalars)
        present = set()
        for child in e:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            local = tag.rpartition("}")[2]
            kind = fields.get(local)
            if kind is None:
                if local in scalars:
                    total += 1
                continue
            how, inner, opt, _ = kind
            if how == "one":
                present.add(local)
                if opt:
                    total += 1
            else:
                total += 1
            if inner:
                stack.append((child, inner))
        for field, (how, _, opt, zero) in fields.items():
            if how == "one" and not opt and field not in present:
                total += zero
        if total > limit:
            raise over_limit(limit)
