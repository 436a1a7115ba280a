"""Protobuf's native step for ``bench``: prebuilt message objects (``to_message``) <-> bytes,
with ``SerializeToString(deterministic=True)`` and ``message_class.FromString``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.codecs.protobuf import backend
from fmtbench.codecs.protobuf.codec import ProtobufCodec


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    assert isinstance(codec, ProtobufCodec)

    def encode(msg: Any) -> bytes:
        return msg.SerializeToString(deterministic=True)  # type: ignore[no-any-return]

    return NativeStep(
        [codec.to_message(r) for r in records], encode, codec.message_class.FromString
    )


NATIVE = Native(lambda: f"protobuf ({backend()})", step)
