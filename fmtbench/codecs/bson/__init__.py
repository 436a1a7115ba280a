"""BSON: MongoDB's binary documents, one per record, concatenated as mongodump writes them.

The codec (``codec.py``) writes and reads with pymongo's ``bson`` C extension; the leaf
rules of the mapping are in ``leaves.py``, the check that the ``bson`` module found is
pymongo's in ``library.py``. ``native.py``, ``explain.py`` and ``sample.py`` are what
``bench``, ``explain`` and ``schema infer`` need of the format. This file only declares it.
"""

from __future__ import annotations

from fmtbench.codecs.format import Format

FORMATS = (
    Format(
        name="bson",
        evolution="bson",
        title="BSON",
        codec="fmtbench.codecs.bson.codec:BsonCodec",
        extensions=(".bson",),
        order=48,  # the self-describing binary formats together: MessagePack, CBOR, BSON
        concatenates=True,  # documents back to back, as mongodump writes a collection
        sample="fmtbench.codecs.bson.sample:BSON",
        library="pymongo",
        distributions=("pymongo",),
        # No library cells: pymongo's ``bson`` is the one implementation (the standalone
        # ``bson`` distribution installs a module of the same name, so the two cannot sit
        # side by side), and the native cell already times its encode and decode.
        native="fmtbench.codecs.bson.native:NATIVE",
        explain="fmtbench.codecs.bson.explain:RULES",
        # pymongo's module; the unrelated PyPI "bson" also installs one (library.py).
        requires=("bson",),
        extra="bson",
    ),
)
