"""MessagePack: a stream of one or more objects, one per record.

The codec (``codec.py``) writes with msgspec and reads the common case into Structs
compiled from the schema (``typed.py``), with msgpack's C extension as the reference and
for streams. ``native.py``, ``explain.py`` and ``sample.py`` are what ``bench``,
``explain`` and ``schema infer`` need of the format. This file only declares it.
"""

from __future__ import annotations

from fmtbench.codecs.format import Format
from fmtbench.codecs.msgpack.libraries import LIBRARIES

FORMATS = (
    Format(
        name="msgpack",
        evolution="binary",
        title="MessagePack",
        codec="fmtbench.codecs.msgpack.codec:MsgpackCodec",
        extensions=(".msgpack", ".mpk"),
        order=40,
        concatenates=True,  # objects back to back, nothing between or around them
        sample="fmtbench.codecs.msgpack.sample:MSGPACK",
        library="msgspec",
        distributions=("msgspec", "msgpack"),
        native="fmtbench.codecs.msgpack.native:NATIVE",
        libraries=LIBRARIES,
        explain="fmtbench.codecs.msgpack.explain:RULES",
    ),
)
