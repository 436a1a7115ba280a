"""Protobuf's library cells for ``bench --libraries``: the upb backend and the pure-Python
backend of the ``protobuf`` package.

Both cells are the same code: ``SerializeToString(deterministic=True)`` of the message
objects the codec builds (``ProtobufCodec.to_message``, outside any timing) and the message
class's ``FromString``, compared as ``MessageToDict`` gives them. The backend is chosen
once per process, by ``PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION`` before protobuf is first
imported, so the pure-Python cell carries that variable as its ``environment`` and runs in
a worker process; each step refuses to run under another backend than its name says.
fmtbench's codec needs upb (schema/proto.py ``require_upb``): the worker's environment also
names the backend it allows (``FMTBENCH_PROTOBUF_BACKEND``), as the codec there only builds
the messages and checks the cell's agreement, and is never timed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep

VARIABLE = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
#: schema/proto.py ``ALLOW_BACKEND``, spelled out: importing it would import protobuf.
ALLOW = "FMTBENCH_PROTOBUF_BACKEND"


def _step(codec: Codec, records: Sequence[Record], backend: str) -> LibraryStep:
    from google.protobuf.internal import api_implementation
    from google.protobuf.json_format import MessageToDict

    from fmtbench.codecs.protobuf.codec import ProtobufCodec
    from fmtbench.schema.proto import ProtobufBackendError

    running = api_implementation.Type()
    if running != backend:  # a cell named for one backend never times another
        raise ProtobufBackendError(
            f"the protobuf ({backend}) cell runs under the {running} backend: "
            f"set {VARIABLE}={backend} before protobuf is imported (a worker process)"
        )
    assert isinstance(codec, ProtobufCodec), codec

    def encode(msg: Any) -> bytes:
        return msg.SerializeToString(deterministic=True)  # type: ignore[no-any-return]

    def tree(msg: Any) -> Any:
        return MessageToDict(msg, preserving_proto_field_name=True)

    messages = [codec.to_message(r) for r in records]
    return LibraryStep(messages, encode, codec.message_class.FromString, tree_of=tree)


def upb_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    return _step(codec, records, "upb")


def python_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    return _step(codec, records, "python")


LIBRARIES = (
    Library(
        "protobuf (upb)",
        "fmtbench.codecs.protobuf.libraries:upb_step",
        requires=("google.protobuf",),
    ),
    Library(
        "protobuf (python)",
        "fmtbench.codecs.protobuf.libraries:python_step",
        requires=("google.protobuf",),
        environment={VARIABLE: "python", ALLOW: "python"},
    ),
)
