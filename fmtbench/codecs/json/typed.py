"""The fast JSON reading path (see structs/read.py): msgspec decodes into Structs, and only
the leaves msgspec cannot read exactly as docs/formats.md requires are converted here:

- timestamps: msgspec rounds sub-microsecond fractions and accepts a space for ``T``, so
  they are read as text and parsed here (datetime's C parser for what fmtbench writes
  without nanoseconds, the tree path's rule for the rest); durations likewise, as text;
- floats: msgspec turns an integer such as 2**53 + 1 into the nearest double silently, so
  float fields are read as ``int | float | "NaN"...`` and checked by ``leaves``;
- uint64: msgspec cannot bound an integer above int64's range, so the top is checked here;
- map keys are text in JSON: integer and bool keys are parsed by the tree path's own rules
  (msgspec's own integer keys accept "-0", and it reads no bool keys from JSON).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from fmtbench.codecs.structs.read import (
    REJECTED,
    ScalarRule,
    TypedReader,
    compose,
    has_cycle,
    uint64,
)
from fmtbench.codecs.values.leaves import (
    all_shaped,
    b64_decode,
    duration_from_json,
    float32_round,
    float64_check,
    int_from_text,
    json_float,
    timestamp_from_text,
)
from fmtbench.schema.model import (
    INT_RANGES,
    MapOf,
    Scalar,
    Schema,
    element_type,
    reachable_messages,
)

__all__ = ["REJECTED", "TypedJson", "compile_typed"]

_FLOAT_WORDS = Literal["NaN", "Infinity", "-Infinity"]
_BOOL_KEY = Literal["true", "false"]
_BOOL_KEYS = {"true": True, "false": False}
# Above this many brackets a recursive schema's input is read by the tree path (see below):
# orjson reads 1,024 levels, and this many brackets cannot nest deeper.
_MAX_BRACKETS = 1024
_FLOAT64 = json_float(float64_check)
_FLOAT32 = json_float(float32_round)
# What fmtbench writes: whole seconds or six fraction digits, 'Z'. ASCII digits only, so
# that the much faster ``datetime.fromisoformat`` (which also reads ISO week dates, commas
# and other forms RFC 3339 does not allow) only ever sees this one shape.
_STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z"
_WRITTEN_TIMESTAMP = re.compile(_STAMP, re.ASCII).fullmatch
#: The written shapes, digits as 0 (``all_written``).
_WRITTEN_SHAPES = frozenset({"0000-00-00T00:00:00Z", "0000-00-00T00:00:00.000000Z"})


def all_written(texts: list[str]) -> bool:
    """Whether every text has the written shape (``_WRITTEN_TIMESTAMP``), for a block's
    texts at once (``all_shaped``: the regex, a call a text, was a tenth of a block's
    direct path)."""
    return all_shaped(texts, _WRITTEN_SHAPES)


def _timestamp(text: Any) -> datetime:
    if text.__class__ is not str:  # the zero default is already a datetime
        return text  # type: ignore[no-any-return]
    if _WRITTEN_TIMESTAMP(text):
        return datetime.fromisoformat(text)  # a bad date (Feb 30, 24:00) raises ValueError
    return timestamp_from_text(text)  # every other form, by the tree path's own rules


def _float64(v: Any) -> Any:
    return v if v.__class__ is float else _FLOAT64(v)


class TypedJson(TypedReader):
    """The JSON flavour: leaves as JSON spells them; one record or a file of them."""

    scalars: ClassVar[dict[str, ScalarRule]] = {
        "bool": (bool, None),
        "int32": (
            Annotated[int, msgspec.Meta(ge=INT_RANGES["int32"][0], le=INT_RANGES["int32"][1])],
            None,
        ),
        "int64": (
            Annotated[int, msgspec.Meta(ge=INT_RANGES["int64"][0], le=INT_RANGES["int64"][1])],
            None,
        ),
        "uint32": (Annotated[int, msgspec.Meta(ge=0, le=INT_RANGES["uint32"][1])], None),
        "uint64": (Annotated[int, msgspec.Meta(ge=0)], "_uint64"),
        # An integer is kept as one (not rounded to a double by msgspec) for float64_check.
        "float32": (int | float | _FLOAT_WORDS, "_float32"),
        "float64": (int | float | _FLOAT_WORDS, "_float64"),
        # msgspec refuses invalid UTF-8 and lone surrogate escapes, as orjson does.
        "string": (str, None),
        # Read as text and decoded by the tree path's own rule (values/leaves.py: SIMD
        # base64, only canonical text): msgspec's base64 decoder takes 20 times as long on
        # a 47 kB payload, and reads non-canonical padding bits ("AB==" as "AA==").
        "bytes": (str, "_bytes"),
        "timestamp": (str, "_timestamp"),
        "duration": (str, "_duration"),
    }
    helpers: ClassVar[dict[str, Callable[..., Any]]] = {
        "_timestamp": _timestamp,
        "_bytes": b64_decode,
        "_duration": duration_from_json,
        "_uint64": uint64,
        "_float32": _FLOAT32,
        "_float64": _float64,
        "_bool_key": _BOOL_KEYS.__getitem__,
        **{f"_{k}_key": int_from_text(k) for k in INT_RANGES},
    }

    # uint64 once ``_no_long_integers`` passed (``decode``); map keys are text.
    bulk_same = frozenset({"bool", "int32", "int64", "uint32", "uint64", "string"})
    bulk_keys = frozenset({"string"})

    def map_key(self, kind: str) -> ScalarRule:
        if kind == "string":
            return str, None
        return (_BOOL_KEY if kind == "bool" else str), f"_{kind}_key"

    def __init__(self, schema: Schema, root: str, *, drop_unknown: bool = False) -> None:
        super().__init__(schema, root, drop_unknown=drop_unknown)
        root_type = self.root_type
        self._one = msgspec.json.Decoder(root_type)
        self._file = msgspec.json.Decoder(root_type | list[root_type])  # type: ignore[valid-type]
        # orjson refuses nesting deeper than 1024 and the tree path recurses in Python; a
        # recursive schema lets input nest without bound, so deep input is left to the tree
        # path. Counting brackets (strings included) is a cheap bound on the depth.
        self._bounded = not has_cycle(schema, root)

        #: One record's Struct from its bytes (``convert`` makes it canonical), or an
        #: exception from ``REJECTED``: msgspec's own method where depth is bounded.
        self.parse: Callable[[bytes], Any] = self._one.decode if self._bounded else self._parse_deep
        # The bulk converter (structs/bulk.py) takes msgspec's integers as they are: input
        # that may hold one past 2**64 - 1 (a run of 20 digits) is converted leaf by leaf.
        self._gated = self.bulk and has_kind(schema, root, "uint64")
        #: One record from its bytes, or an exception from ``REJECTED``. A closure rather
        #: than a method: at about a microsecond a record, every call level shows.
        self.decode: Callable[[bytes], dict[str, Any]] = compose(self.parse, self.convert)
        if self._gated:
            self.decode = _gated(self.parse, self.convert, self.convert_each)

    def _parse_deep(self, data: bytes) -> Any:
        if data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
            raise ValueError("deep input: left to the tree path")
        return self._one.decode(data)

    def decode_file(self, data: bytes) -> dict[str, Any] | list[dict[str, Any]]:
        """A ``.json`` file: one record (a dict) or an array of them (a list)."""
        if not self._bounded and data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
            raise ValueError("deep input: left to the tree path")
        out = self._file.decode(data)
        convert = self.convert
        if self._gated and _long_integers(data):
            convert = self.convert_each
        if type(out) is list:
            return [convert(s) for s in out]
        return convert(out)


#: Every byte to "." but the ASCII digits, to "0": a run of 20 digits is then a substring.
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
_TWENTY_DIGITS = b"0" * 20


def _long_integers(data: bytes) -> bool:
    """Whether ``data`` may hold an integer past 2**64 - 1 (which has 20 digits or more):
    two passes in C, where a regular expression would step byte by byte."""
    return _TWENTY_DIGITS in data.translate(_DIGITS)


def _gated(
    parse: Callable[[bytes], Any],
    bulk: Callable[[Any], dict[str, Any]],
    each: Callable[[Any], dict[str, Any]],
) -> Callable[[bytes], dict[str, Any]]:
    def decode(data: bytes) -> dict[str, Any]:
        s = parse(data)
        return each(s) if _long_integers(data) else bulk(s)

    return decode


def has_kind(schema: Schema, root: str, kind: str) -> bool:
    """Whether a record of ``root`` can hold a ``kind`` scalar anywhere (map keys too)."""
    return any(
        isinstance(part, Scalar) and part.kind == kind
        for msg in reachable_messages(schema, root)
        for f in msg.fields
        for part in (element_type(f.type), f.type.key if isinstance(f.type, MapOf) else None)
    )


def compile_typed(schema: Schema, root: str, *, drop_unknown: bool = False) -> TypedJson:
    """The fast path for a schema: built once, beside the tree path it defers to."""
    return TypedJson(schema, root, drop_unknown=drop_unknown)
