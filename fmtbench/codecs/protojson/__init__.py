"""ProtoJSON (``protojson``: one message or an array) and ProtoJSON Lines (``protojsonl``).

protobuf's own JSON mapping, the JSON that json_format, buf, grpc-gateway and Go's protojson
read and write: lowerCamelCase names, 64-bit integers as strings, enums by their protobuf
names, defaults left out. The codecs are in ``codec.py``; the leaf rules, one table, in
``leaves.py``; the per-schema converters in ``compile.py``. This file only declares them.
"""

from __future__ import annotations

from fmtbench.codecs.format import Format

_EXPLAIN = "fmtbench.codecs.protojson.explain:RULES"
_DISTRIBUTIONS = ("msgspec", "orjson", "pybase64")  # pybase64: bytes as base64

FORMATS = (
    Format(
        name="protojson",
        evolution="protojson",
        title="ProtoJSON",
        codec="fmtbench.codecs.protojson.codec:ProtoJsonCodec",
        extensions=(".protojson",),
        order=25,
        single_form=True,
        library="msgspec+orjson",
        distributions=_DISTRIBUTIONS,
        native="fmtbench.codecs.protojson.native:NATIVE",
        explain=_EXPLAIN,
        options=("proto_names",),
    ),
    Format(
        name="protojsonl",
        evolution="protojson",
        title="ProtoJSON Lines",
        codec="fmtbench.codecs.protojson.codec:ProtoJsonLinesCodec",
        extensions=(".protojsonl",),
        order=26,
        messages_as="protojson",
        split="fmtbench.codecs.json.split:line_bounds",
        concatenates=True,
        library="msgspec+orjson",
        distributions=_DISTRIBUTIONS,
        explain=_EXPLAIN,
        options=("proto_names",),
    ),
)
