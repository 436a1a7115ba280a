"""The write-back path: JSON that is exactly what msgspec writes for its own Structs.

The typed path (typed.py) reads any spelling and pays for it per record: timestamps parsed
in Python (a regular expression, then ``fromisoformat``), floats read as
``int | float | "NaN"`` and checked in Python, and the duplicate-key proof (keys.py: a
quote count, a key count). fmtbench writes JSON with msgspec itself, so nearly every input
is the one text msgspec writes for the values it holds. This path proves that at once:

1. msgspec decodes into Structs whose leaves are native (timestamps as aware ``datetime``,
   floats as ``float``, integers bounded), everything in C;
2. the Structs are written back with msgspec; when the input starts with those bytes (a
   line may end in a newline), the input *is* msgspec's text for those values. That one
   comparison proves what the separate checks proved before: no duplicate key (a Struct
   has each key once), no unknown field, fields in schema order, no integer written as
   ``1.0``, no float read from an integer (a float writes back with a fraction or
   exponent), no timestamp rounded by msgspec (more than six fraction digits write back
   differently), no ``t``, ``z``, space or ``+00:00`` spellings, no escapes msgspec would
   not write;
3. the Structs become canonical dicts (read.py's generated converter, or bulk.py in C).
   What the bytes cannot prove is checked there: base64 text is canonical (the tree
   path's rule decodes it, since text writes back as read), a timestamp's zone must be
   UTC itself (msgspec writes ``+01:00`` back as it read it), float32 leaves rounded as
   the tree path rounds them. (A uint64 past int64's top is refused by msgspec itself and read by
   the typed path: no byte scan for long integers here.)

Anything else (a different spelling, a refusal) is read by the typed path and, failing
that, the tree path, exactly as before: this path only ever accepts, and what it accepts
is a text the typed path reads to the same record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import msgspec

from fmtbench.codecs.json.census import Census, compile_census, typed_dicts
from fmtbench.codecs.json.keys import quotes
from fmtbench.codecs.json.typed import _FLOAT32, _MAX_BRACKETS, REJECTED, TypedJson
from fmtbench.codecs.structs.floats import has_floats
from fmtbench.codecs.structs.levels import level_counter, most_levels
from fmtbench.codecs.structs.read import ScalarRule
from fmtbench.schema.model import INT_RANGES, FieldType, Scalar, Schema, reachable_messages

__all__ = ["ExactJson", "compile_exact", "exact_decoder"]

Decode = Callable[[bytes, int], dict[str, Any]]


def _not_utc() -> Any:
    # A zone other than UTC's own (``+01:00``): the typed path normalises it.
    raise ValueError("a timestamp with an offset: left to the typed path")


class ExactJson(TypedJson):
    """TypedJson with the leaves msgspec reads natively; only for write-back-proven input."""

    scalars: ClassVar[dict[str, ScalarRule]] = {
        **TypedJson.scalars,
        # Safe only because the write-back proves the text is msgspec's own spelling.
        "timestamp": (Annotated[datetime, msgspec.Meta(tz=True)], None),
        "float64": (float, None),
        "float32": (float, "_float32"),
        # Bounded in C at int64's top (msgspec bounds no higher): a larger uint64 is
        # refused here and read by the typed path, so no per-value check or byte scan.
        "uint64": (Annotated[int, msgspec.Meta(ge=0, le=INT_RANGES["int64"][1])], None),
    }
    helpers: ClassVar[dict[str, Callable[..., Any]]] = {
        **TypedJson.helpers,
        "_float32": _FLOAT32,
        "_not_utc": _not_utc,
    }

    typed_floats = True  # bulk.py: only float32 leaves are gathered, for their rounding

    def __init__(self, schema: Schema, root: str, *, drop_unknown: bool = False) -> None:
        super().__init__(schema, root, drop_unknown=drop_unknown)
        self.root = root
        self._gated = False  # no uint64 past int64's top is read here (``scalars``)

    def _type(self, ftype: FieldType) -> tuple[Any, Callable[[str], str]]:
        if isinstance(ftype, Scalar) and ftype.kind == "timestamp":
            # Inlined: a test of the zone, no call (``x`` is an attribute or a local).
            utc = self._bind(UTC)
            mtype = self.scalars["timestamp"][0]
            return mtype, lambda x: f"({x} if {x}.tzinfo is {utc} else _not_utc())"
        return super()._type(ftype)


def compile_exact(schema: Schema, root: str, *, drop_unknown: bool = False) -> ExactJson:
    """The write-back path for a schema. Bytes are read as their base64 text (typed.py),
    so writing a large payload back is a copy, and the converter decodes it by the tree
    path's rule (canonical text only)."""
    return ExactJson(schema, root, drop_unknown=drop_unknown)


def exact_decoder(
    exact: ExactJson,
    slow: Decode,
    small: int,
    *,
    depth: tuple[int, Callable[[Any], None]] | None = None,
) -> Decode:
    """One record from its bytes (``line``: where a JSON Lines file holds it, or 0), by the
    counted path where census.py has one and it pays (``_counted``), else the write-back
    path, else ``slow`` (the typed and tree paths, with every check and error of today).
    ``small``: past this size ``slow`` decides (limits, value counting).

    ``depth``: ``--max-depth`` and its check (limits.py) for a recursive schema, where the
    record is checked unless its text proves it within: a record read here is its text,
    every message and map of it one ``{``, and Protobuf counts a level for each of those
    and for a timestamp or duration leaf at the end (``PROTOBUF``: the root none), so a
    record nests no deeper than its text holds ``{``. (``slow`` checks its own records:
    they may hold zero-filled messages the text does not.)

    One closure: at about a microsecond a record, every Python call level shows."""
    parse, convert = exact.parse, exact.convert
    write = msgspec.json.Encoder().encode  # insertion order: maps as the input holds them
    most, check = depth if depth is not None else (-1, None)
    # Past the ``{`` count, the Structs' message levels counted in C (structs/levels.py, as
    # the writer counts them): a record within ``most_levels`` nests within ``most``
    # whatever its fields hold, and its Structs are its text, so they are its levels.
    levels: Callable[[Any, int], int] = lambda s, top: top + 1  # noqa: E731  # unused then
    top = -1
    if depth is not None:
        levels = level_counter(exact.schema, exact.root)
        top = most_levels(exact.schema, exact.root, most)

    def decode(data: bytes, line: int = 0) -> dict[str, Any]:
        if len(data) <= small:
            record = None
            try:
                s = parse(data)
                # The input may only add trailing white space (a line's newline): msgspec
                # refuses anything else after the value.
                if data.startswith(write(s)):
                    record = convert(s)
            except REJECTED:
                pass  # outside the handler: ``slow`` raises today's errors unchained
            if record is not None:
                if check is not None and data.count(b"{") > most and levels(s, top) > top:
                    check(record)  # LimitError with the path, as base.py's wrapper raises
                return record
        return slow(data, line)

    # The counted path pays where the write-back path walks the record again (its float
    # leaves: bulk.py's gatherer; its levels: --max-depth) or counts its brackets (a
    # recursive schema). Elsewhere (``media``) the write-back alone costs less than a walk.
    messages = [m.name for m in reachable_messages(exact.schema, exact.root)]
    if exact._bounded and not has_floats(exact.schema, messages):
        return decode
    # A recursive record (``tree``) read straight into dicts, in the input's key order,
    # which the census then proves the schema's: msgspec builds the dicts itself, where
    # Structs and ``to_builtins`` build everything twice (measured: 1.8x -> 1.5x
    # orjson.loads). Not on ``mesh``: dicts of three floats cost more to build and order
    # than Structs do.
    ordered = None if exact._bounded else compile_census(exact.schema, exact.root, ordered=True)
    if ordered is not None:
        read = msgspec.json.Decoder(
            typed_dicts(exact.schema, exact.root, _dict_scalars(exact))
        ).decode
        return _counted(read, ordered, decode, small, exact, depth)
    census = compile_census(exact.schema, exact.root)
    if census is not None:
        one, to_builtins = exact._one.decode, msgspec.to_builtins
        read = lambda data: to_builtins(one(data))  # noqa: E731  # one name, one closure
        return _counted(read, census, decode, small, exact, depth)
    return decode


def _dict_scalars(exact: ExactJson) -> dict[str, Any]:
    """The msgspec type of each scalar kind the census takes, as the Structs read it."""
    return {kind: rule[0] for kind, rule in exact.scalars.items()}


def _counted(
    read: Callable[[bytes], Any],
    census: Census,
    proven: Decode,
    small: int,
    exact: ExactJson,
    depth: tuple[int, Callable[[Any], None]] | None,
) -> Decode:
    """census.py's path before ``proven`` (the write-back path, then the others): the
    record read at once (``read``: its dicts), proven by its census and the quote count
    (no backslash: every ``"`` opens or closes a string). What it does not prove,
    ``proven`` reads again."""
    # A level is at most two brackets (``[{``), its leaves one more: past this many levels
    # a JSON reader (orjson, 1,024) might refuse the text, so ``proven`` decides. (Only a
    # recursive schema nests that deep; its msgspec parse stops at the interpreter's
    # recursion limit, a RecursionError, as deep.)
    deepest = (_MAX_BRACKETS - 1) // 2
    top, check = -1, None
    if depth is not None:
        top, check = most_levels(exact.schema, exact.root, depth[0]), depth[1]

    def decode(data: bytes, line: int = 0) -> dict[str, Any]:
        if len(data) <= small and b"\\" not in data:
            record: dict[str, Any] | None = None
            try:
                record = read(data)
                strings, levels = census(record)
            except REJECTED:
                record = None  # outside the handler: ``proven`` raises today's errors
            if record is not None and quotes(data) == 2 * strings and levels <= deepest:
                if check is not None and levels > top:
                    check(record)  # LimitError with the path, as base.py's wrapper raises
                return record
        return proven(data, line)

    return decode
