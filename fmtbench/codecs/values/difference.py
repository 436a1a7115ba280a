"""Where two canonical values differ: exact types (1 is not 1.0, True is not 1), NaN equal to
NaN, -0.0 not 0.0, datetimes with their offsets. ``bench`` names a round trip's first
difference with it, and a library cell's disagreement with the format's codec."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from fmtbench.errors import format_path, key_segment


def difference(a: Any, b: Any, path: tuple[str | int, ...] = ()) -> str | None:
    """Where ``b`` differs from ``a``, or None: canonical equality (exact types, NaN == NaN)."""
    where = format_path(path) or "the record"
    if type(a) is not type(b):
        return (
            f"{where}: {type(a).__name__} {_short(a)} came back as {type(b).__name__} {_short(b)}"
        )
    if isinstance(a, dict):
        lost, added = a.keys() - b.keys(), b.keys() - a.keys()
        if lost or added:
            change = (
                f"lost {sorted(map(str, lost))}" if lost else f"gained {sorted(map(str, added))}"
            )
            return f"{where}: {change}"
        for k in a:
            seg = k if isinstance(k, str) else key_segment(k)
            if (diff := difference(a[k], b[k], (*path, seg))) is not None:
                return diff
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items came back as {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if (diff := difference(x, y, (*path, i))) is not None:
                return diff
        return None
    if isinstance(a, float):
        same = (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1.0, a) == math.copysign(1.0, b)  # -0.0 is not 0.0
        )
    elif isinstance(a, datetime):
        same = a == b and a.utcoffset() == b.utcoffset()
    else:
        same = bool(a == b)
    return None if same else f"{where}: {_short(a)} came back as {_short(b)}"


def _short(v: Any) -> str:
    text = v.isoformat() if isinstance(v, datetime) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
