"""Protobuf: one message per file (``protobuf``), or a length-delimited stream of them.

The codecs (``codec.py``) compile the schema into message classes of a private descriptor
pool (``fmtbench.schema.proto``) and convert with generated code (``fast_read.py``,
``kwargs.py``); ``native.py``, ``explain.py`` and ``split.py`` are what ``bench``,
``explain`` and chunked ``convert`` need of the format. This file only declares it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fmtbench.codecs.format import Export, Format
from fmtbench.codecs.protobuf.libraries import LIBRARIES

if TYPE_CHECKING:
    from fmtbench.schema.model import Schema


def backend() -> str:
    """upb, cpp or python: which protobuf runtime does the work (bench labels)."""
    from fmtbench.schema.proto import protobuf_backend

    return protobuf_backend()


def proto_file(schema: Schema, type_name: str | None) -> str:
    """The schema as a .proto file (every message: the record type does not matter)."""
    from fmtbench.schema.proto import proto_text

    return proto_text(schema)


_PROTO = Export("proto", "a .proto file (proto3)", proto_file)
_EXPLAIN = "fmtbench.codecs.protobuf.explain:RULES"

FORMATS = (
    Format(
        name="protobuf",
        evolution="protobuf",
        title="Protobuf",
        codec="fmtbench.codecs.protobuf.codec:ProtobufCodec",
        extensions=(".pb", ".binpb"),
        order=10,
        single_form=True,
        many_records=False,
        # A message holds one record: the batch file is the delimited stream.
        batch_format="protobuf-delimited",
        native="fmtbench.codecs.protobuf.native:NATIVE",
        libraries=LIBRARIES,
        library=backend,
        distributions=("protobuf",),
        explain=_EXPLAIN,
        export=_PROTO,
    ),
    Format(
        name="protobuf-delimited",
        evolution="protobuf",
        title="delimited Protobuf",
        codec="fmtbench.codecs.protobuf.codec:ProtobufDelimitedCodec",
        extensions=(".pbd", ".delimited"),
        order=11,
        messages_as="protobuf",
        split="fmtbench.codecs.protobuf.split:frame_bounds",
        concatenates=True,
        bench=False,  # benchmarked as protobuf's batch
        library=backend,
        distributions=("protobuf",),
        explain=_EXPLAIN,
        export=_PROTO,
    ),
)
