"""Avro (``avro``: a datum a record, Object Container Files) and Avro's single-object
encoding (``avro-single``), through fastavro's C extension.

The codecs are in ``codec.py`` (datums, containers: ``container.py``) and ``single.py``;
``rules.py`` holds the leaf mapping, schema/avsc.py the ``.avsc``. ``native.py`` and
``explain.py`` are what ``bench`` and ``explain`` need of the formats. This file only
declares them; fastavro comes with the ``avro`` extra (``pip install 'fmtbench[avro]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fmtbench.codecs.avro.libraries import LIBRARIES
from fmtbench.codecs.format import Export, Format

if TYPE_CHECKING:
    from fmtbench.schema.model import Schema


def avsc_file(schema: Schema, type_name: str | None) -> str:
    """The ``.avsc`` of the record type, as the Avro codecs write it."""
    from fmtbench.schema.avsc import avsc_file as render

    return render(schema, type_name)


_AVSC = Export("avro", "an Avro schema (.avsc)", avsc_file)
_EXPLAIN = "fmtbench.codecs.avro.explain:RULES"
_COMMON = {
    "library": "fastavro",
    "distributions": ("fastavro", "cramjam"),
    "explain": _EXPLAIN,
    "export": _AVSC,
    "requires": ("fastavro",),
    "extra": "avro",
}

FORMATS = (
    Format(
        name="avro",
        evolution="avro",
        title="Avro",
        codec="fmtbench.codecs.avro.codec:AvroCodec",
        extensions=(".avro",),
        order=50,
        native="fmtbench.codecs.avro.native:NATIVE",
        libraries=LIBRARIES,  # avro-single's datums are the same: only avro has cells
        options=("avro_codec",),  # convert --avro-codec: the container's compression
        schema_in_file="fmtbench.schema.avscfile:header_schema",  # the header's avro.schema
        **_COMMON,  # type: ignore[arg-type]
    ),
    Format(
        name="avro-single",
        evolution="avro-single",
        title="Avro single-object encoding",
        codec="fmtbench.codecs.avro.single:AvroSingleCodec",
        extensions=(".avso",),
        order=51,
        concatenates=True,  # single objects back to back, nothing between or around them
        # A record is avro's datum behind a 10-byte header: explain shows avro's figures.
        messages_as="avro",
        **_COMMON,  # type: ignore[arg-type]
    ),
)
