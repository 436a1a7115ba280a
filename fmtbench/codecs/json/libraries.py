"""JSON's library cells for ``bench --libraries``: orjson, msgspec, ujson, python-rapidjson,
the standard library's ``json``, and pysimdjson (reading only).

Every cell starts from the JSON trees the codec builds (``JsonCodec.to_tree``: enums by
name, bytes in base64, NaN and infinities as strings, map keys as strings, timestamps as
UTC datetimes) and encodes them to bytes; it decodes the codec's bytes to a plain tree,
which must equal orjson's reading of them (the codec's reference path). Each library gets
the options that make its output something fmtbench reads: a datetime is the one value a
JSON library has to be told how to write (orjson ``OPT_UTC_Z``, rapidjson
``DM_ISO8601``, a ``default`` hook for ujson and the standard library, as a user would
write). Libraries are imported inside the steps: listing formats never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep


def _trees(codec: Codec, records: Sequence[Record]) -> list[Any]:
    from fmtbench.codecs.json.codec import JsonCodec

    assert isinstance(codec, JsonCodec), codec
    return [codec.to_tree(r) for r in records]


def _iso(v: Any) -> str:
    """What a user passes as ``default``: datetimes in RFC 3339, anything else refused."""
    if isinstance(v, datetime):
        return v.isoformat()
    raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")


def orjson_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import orjson

    option = orjson.OPT_UTC_Z  # as msgspec writes it: "...Z"

    def encode(tree: Any) -> bytes:
        return orjson.dumps(tree, option=option)

    return _reading(codec, records, encode, orjson.loads)


def msgspec_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import msgspec

    encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder()
    return _reading(codec, records, encoder.encode, decoder.decode)


def ujson_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import ujson

    def encode(tree: Any) -> bytes:
        text = ujson.dumps(
            tree, ensure_ascii=False, escape_forward_slashes=False, reject_bytes=True, default=_iso
        )
        return text.encode()  # ujson writes str: the UTF-8 bytes are part of its work

    return _reading(codec, records, encode, ujson.loads)


def rapidjson_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import rapidjson

    encoder = rapidjson.Encoder(ensure_ascii=False, datetime_mode=rapidjson.DM_ISO8601)
    decoder = rapidjson.Decoder()

    def encode(tree: Any) -> bytes:
        return str(encoder(tree)).encode()  # a str (no stream given), as ujson's

    return _reading(codec, records, encode, decoder)


def stdlib_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import json

    # Strict (no NaN tokens, which fmtbench's JSON never holds), compact as the others.
    encoder = json.JSONEncoder(
        ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_iso
    )
    decoder = json.JSONDecoder()

    def encode(tree: Any) -> bytes:
        return encoder.encode(tree).encode()

    def decode(data: bytes) -> Any:
        return decoder.decode(data.decode())  # the decoder takes str: decoding is its work

    return _reading(codec, records, encode, decode)


def simdjson_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import simdjson

    parser = simdjson.Parser()  # reused, as pysimdjson advises

    def decode(data: bytes) -> Any:
        # recursive: Python objects, not proxies, so it ends where the others end.
        return parser.parse(data, True)

    return _reading(codec, records, None, decode)


def _reading(
    codec: Codec,
    records: Sequence[Record],
    encode: Callable[[Any], bytes] | None,
    decode: Callable[[bytes], Any],
) -> LibraryStep:
    """The cell, with ``expected``: orjson's reading of the codec's bytes of each record
    (the codec's reference tree path), made here, outside any timing."""
    import orjson

    trees = _trees(codec, records)
    expected = [orjson.loads(codec.encode(r)) for r in records]
    return LibraryStep(trees, encode, decode, expected=expected)


def _lib(name: str, step: str, module: str) -> Library:
    return Library(name, f"fmtbench.codecs.json.libraries:{step}", requires=(module,))


LIBRARIES = (
    _lib("orjson", "orjson_step", "orjson"),
    _lib("msgspec", "msgspec_step", "msgspec"),
    _lib("ujson", "ujson_step", "ujson"),
    _lib("rapidjson", "rapidjson_step", "rapidjson"),
    _lib("json (stdlib)", "stdlib_step", "json"),
    _lib("simdjson", "simdjson_step", "simdjson"),
)
