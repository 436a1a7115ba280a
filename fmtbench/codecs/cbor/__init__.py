"""CBOR (RFC 8949): a CBOR sequence (RFC 8742) of one item per record.

The codec (``codec.py``) writes RFC 8949's deterministic encoding with cbor2's C extension
and reads with it; ``mapping.py`` says how timestamps and durations are tagged and
``order.py`` how map keys are ordered. ``native.py``, ``explain.py`` and ``sample.py`` are
what ``bench``, ``explain`` and ``schema infer`` need of the format. This file only
declares it.
"""

from __future__ import annotations

from fmtbench.codecs.cbor.libraries import LIBRARIES
from fmtbench.codecs.format import Format

FORMATS = (
    Format(
        name="cbor",
        evolution="binary",
        title="CBOR",
        codec="fmtbench.codecs.cbor.codec:CborCodec",
        extensions=(".cbor",),
        order=45,
        concatenates=True,  # a CBOR sequence: items back to back, nothing between them
        sample="fmtbench.codecs.cbor.sample:CBOR",
        library="cbor2",
        distributions=("cbor2",),
        requires=("cbor2",),
        extra="cbor",
        native="fmtbench.codecs.cbor.native:NATIVE",
        libraries=LIBRARIES,
        explain="fmtbench.codecs.cbor.explain:RULES",
    ),
)
