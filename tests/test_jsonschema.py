"""The exported JSON Schema is valid 2020-12 and accepts exactly what our JSON codec writes.

Documents are our JSON output read back with the standard library (``json.loads``), so the
check is independent of orjson. Mutated documents (an unknown key, a wrong type) must fail.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from jsonschema import Draft202012Validator

from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.schema.jsonschema import json_schema
from tests.samples import ORDERS, SENSORS
from tests.strategies import SCHEMAS, records, schema_named


@cache
def validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator(
        json_schema(schema_named(schema)), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@cache
def codec(schema: str) -> JsonCodec:
    return JsonCodec(schema_named(schema))


def as_json(schema: str, record: dict[str, Any]) -> Any:
    return json.loads(codec(schema).encode(record))


def assert_valid(schema: str, doc: Any) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator(schema).iter_errors(doc)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("schema", [*SCHEMAS, "limits"])
def test_exported_schema_is_valid_2020_12(schema: str) -> None:
    doc = json_schema(schema_named(schema))
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("schema", "record"),
    [("order", r) for r in ORDERS] + [("sensor", r) for r in SENSORS],
)
def test_samples_validate(schema: str, record: dict[str, Any]) -> None:
    assert_valid(schema, as_json(schema, record))


@pytest.mark.parametrize("schema", SCHEMAS)
def test_generated_records_validate(schema: str) -> None:
    @given(records(schema_named(schema)))
    def check(record: dict[str, Any]) -> None:
        assert_valid(schema, as_json(schema, record))

    check()


def _order() -> dict[str, Any]:
    return as_json("order", ORDERS[0])


def _sensor() -> dict[str, Any]:
    return as_json("sensor", SENSORS[0])


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``doc`` with the value at a dotted path replaced (numbers index lists)."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return doc


BAD_DOCUMENTS = {
    "unknown top-level key": ("order", lambda: _set(_order(), "surprise", 1)),
    "unknown nested key": ("order", lambda: _set(_order(), "customer.address.floor", "3")),
    "unknown key in a list item": ("order", lambda: _set(_order(), "lines.0.colour", "red")),
    "integer as a string": ("order", lambda: _set(_order(), "id", "5")),
    "uint64 above range": ("order", lambda: _set(_order(), "id", 2**64)),
    "negative uint32": ("order", lambda: _set(_order(), "lines.0.quantity", -1)),
    "int64 below range": ("order", lambda: _set(_order(), "total_cents", -(2**63) - 1)),
    "fractional integer": ("sensor", lambda: _set(_sensor(), "count", 1.5)),
    "unknown enum name": ("order", lambda: _set(_order(), "status", "LOST")),
    "enum by number": ("order", lambda: _set(_order(), "status", 1)),
    "message as a list": ("order", lambda: _set(_order(), "customer", [])),
    "list as an object": ("order", lambda: _set(_order(), "lines", {})),
    "string as a number": ("order", lambda: _set(_order(), "note", 5)),
    "bool as a string": ("order", lambda: _set(_order(), "gift_wrap", "true")),
    "null optional": ("order", lambda: _set(_order(), "note", None)),
    "float32 beyond its range": ("sensor", lambda: _set(_sensor(), "raw", 1e39)),
    "float word misspelt": ("sensor", lambda: _set(_sensor(), "value", "nan")),
    "bytes not base64": ("sensor", lambda: _set(_sensor(), "payload", "not base64!")),
    "timestamp as a number": ("sensor", lambda: _set(_sensor(), "at", 0)),
    "timestamp without zone": ("sensor", lambda: _set(_sensor(), "at", "2024-01-01T00:00:00")),
    "int map key not a number": ("sensor", lambda: _set(_sensor(), "histogram.x1", 1)),
    "bool map key misspelt": ("sensor", lambda: _set(_sensor(), "enabled.True", "yes")),
    "map value of the wrong type": ("sensor", lambda: _set(_sensor(), "tags.site", 7)),
    "required field missing": ("sensor", lambda: _without(_sensor(), "ok")),
}


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_bad_documents_fail(case: str) -> None:
    schema, make = BAD_DOCUMENTS[case]
    assert_valid(schema, as_json(schema, ORDERS[0] if schema == "order" else SENSORS[0]))
    assert not validator(schema).is_valid(make())


def test_date_time_format_is_checked() -> None:
    """The pattern only checks the shape; the format checker checks the calendar."""
    if "date-time" not in Draft202012Validator.FORMAT_CHECKER.checkers:
        pytest.skip("jsonschema checks date-time only when rfc3339-validator is installed")
    assert not validator("sensor").is_valid(_set(_sensor(), "at", "2024-02-30T00:00:00Z"))
