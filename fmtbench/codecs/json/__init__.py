"""JSON (``json``: one record or an array) and JSON Lines (``jsonl``: a record a line).

The codecs (``codec.py``) read with msgspec into Structs compiled from the schema
(``typed.py``), with orjson's tree path as the reference, refuse duplicate keys
(``keys.py``) and write with msgspec. ``native.py``, ``explain.py``, ``sample.py`` and
``split.py`` are what ``bench``, ``explain``, ``schema infer`` and chunked ``convert``
need of the format. This file only declares it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fmtbench.codecs.format import Export, Format
from fmtbench.codecs.json.libraries import LIBRARIES

if TYPE_CHECKING:
    from fmtbench.schema.model import Schema


def json_schema_file(schema: Schema, type_name: str | None) -> str:
    """A JSON Schema (2020-12) of the record type, as the JSON codecs write it."""
    from fmtbench.schema.jsonschema import json_schema

    return json.dumps(json_schema(schema, type_name), indent=2, ensure_ascii=False) + "\n"


_JSON_SCHEMA = Export("jsonschema", "a JSON Schema (2020-12)", json_schema_file)
_EXPLAIN = "fmtbench.codecs.json.explain:RULES"
# msgspec writes JSON and reads the common case; orjson reads what it declines.
_DISTRIBUTIONS = ("msgspec", "orjson", "pybase64")  # pybase64: bytes as base64

FORMATS = (
    Format(
        name="json",
        evolution="json",
        title="JSON",
        codec="fmtbench.codecs.json.codec:JsonCodec",
        extensions=(".json",),
        order=20,
        single_form=True,
        sample="fmtbench.codecs.json.sample:JSON",
        library="msgspec",
        distributions=_DISTRIBUTIONS,
        native="fmtbench.codecs.json.native:NATIVE",
        libraries=LIBRARIES,  # jsonl's are the same implementations: only json has cells
        explain=_EXPLAIN,
        export=_JSON_SCHEMA,
    ),
    Format(
        name="jsonl",
        evolution="json",
        title="JSON Lines",
        codec="fmtbench.codecs.json.codec:JsonLinesCodec",
        extensions=(".jsonl", ".ndjson"),
        order=21,
        messages_as="json",  # per record the very same call: no native cell of its own
        split="fmtbench.codecs.json.split:line_bounds",
        concatenates=True,
        sample="fmtbench.codecs.json.sample:JSON_LINES",
        library="msgspec",
        distributions=_DISTRIBUTIONS,
        explain=_EXPLAIN,
        export=_JSON_SCHEMA,
    ),
)
