"""Hand-written canonical records for the shipped schemas, edge cases included.

Shared by every codec's tests: each record must survive a round trip through every format.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fmtbench.schema import Schema, load_schema
from fmtbench.schema.loader import Path

SCHEMAS = Path(__file__).resolve().parent.parent / "fmtbench" / "schemas"


def order_schema() -> Schema:
    return load_schema(SCHEMAS / "order.yaml")


def sensor_schema() -> Schema:
    return load_schema(SCHEMAS / "sensor.yaml")


ORDERS: list[dict[str, Any]] = [
    {
        "id": 18446744073709551615,
        "placed_at": datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        "status": "PAID",
        "customer": {
            "id": 7,
            "name": "Zoë Ñandú 🦜",
            "email": "zoe@example.com",
            "vip": True,
            "address": {
                "street": "1 Main St",
                "city": "Zürich",
                "postal_code": "8001",
                "country": "CH",
            },
        },
        "lines": [
            {
                "sku": "A-1",
                "quantity": 2,
                "unit_price_cents": 1999,
                "discount": 0.25,
                "weight_kg": 0.1,
                "attributes": {"colour": "red", "": "empty key"},
            },
            {
                "sku": "B-2",
                "quantity": 4294967295,
                "unit_price_cents": -9223372036854775808,
                "weight_kg": -0.0,
                "attributes": {},
            },
        ],
        "labels": {"source": "  spaced  ", "tabs": "a\tb\r\nc"},
        "note": "",
        "currency": "EUR",
        "total_cents": 9223372036854775807,
        "channel": "web \t edge ",
        "gift_wrap": False,
    },
    {
        # Every field at its zero value, optionals absent.
        "id": 0,
        "placed_at": datetime(1970, 1, 1, tzinfo=UTC),
        "status": "PENDING",
        "customer": {"id": 0, "name": "", "email": "", "vip": False},
        "lines": [],
        "labels": {},
        "currency": "UNKNOWN",
        "total_cents": 0,
        "channel": "",
        "gift_wrap": False,
    },
    {
        "id": 3,
        "placed_at": datetime(1, 1, 1, tzinfo=UTC),
        "status": "CANCELLED",
        "customer": {"id": 1, "name": "x" * 5000, "email": "a@b", "vip": False},
        "lines": [],
        "labels": {"k": "v"},
        "note": "line one\nline two\r\n<b>&amp;</b> \"quoted\" 'single'",
        "currency": "JPY",
        "total_cents": -1,
        "shipped_at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "channel": "app",
        "gift_wrap": True,
    },
]

SENSORS: list[dict[str, Any]] = [
    {
        "sensor": "s-1",
        "at": datetime(1969, 7, 20, 20, 17, 40, 500000, tzinfo=UTC),
        "level": "WARN",
        "unit": "CELSIUS",
        "value": math.nan,
        "raw": 3.4028234663852886e38,
        "count": -2147483648,
        "sequence": -9223372036854775808,
        "flags": 4294967295,
        "checksum": 18446744073709551615,
        "ok": True,
        "payload": bytes(range(256)),
        "tags": {"site": "north", "ünïcode": "𝄞"},
        "histogram": {-5: 1, 0: 0, 2147483647: 18446744073709551615},
        "enabled": {True: "yes", False: "no"},
        "samples": [math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308],
        "levels": ["UNKNOWN", "ERROR", "INFO"],
        "calibrated_at": datetime(2000, 2, 29, tzinfo=UTC),
        "parent": {
            "sensor": "root",
            "at": datetime(2020, 1, 1, tzinfo=UTC),
            "level": "INFO",
            "unit": "UNKNOWN",
            "value": 1.5,
            "raw": 0.5,
            "count": 0,
            "sequence": 0,
            "flags": 0,
            "checksum": 0,
            "ok": False,
            "payload": b"",
            "tags": {},
            "histogram": {},
            "enabled": {},
            "samples": [],
            "levels": [],
            "children": [],
        },
        "children": [
            {
                "sensor": "child",
                "at": datetime(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
                "level": "ERROR",
                "unit": "PERCENT",
                "value": -1e-300,
                "raw": -1.401298464324817e-45,
                "count": 1,
                "sequence": 1,
                "flags": 1,
                "checksum": 1,
                "ok": True,
                "payload": b"\x00",
                "tags": {},
                "histogram": {},
                "enabled": {},
                "samples": [],
                "levels": [],
                "children": [],
                "note": "deep",
            }
        ],
        "note": "",
    }
]


def same(a: Any, b: Any) -> bool:
    """Canonical equality: types must match, NaN equals NaN, and -0.0 differs from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def assert_same(a: Any, b: Any) -> None:
    assert same(a, b), f"values differ:\n  {a!r}\n  {b!r}"


def tree_paths(tree: Any, path: tuple[Any, ...] = ()) -> Any:
    """Every path into nested dicts and lists (keys and indexes), parents before children."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield (*path, k)
            yield from tree_paths(v, (*path, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield (*path, i)
            yield from tree_paths(v, (*path, i))
