"""JSON Lines a block at a time: the typed path's per-line work done once for many lines.

``JsonCodec._decode_line`` costs a few Python calls a line around the library's own work
(issue 16: its bookkeeping, not msgspec, was most of ``convert``'s time). Here a block of
whole lines is decoded with C loops (``map`` over msgspec's decoder and the converter),
and the checks ``_decode_line`` makes on each line are made once on the block, where they
answer for every line at once:

- size: the longest line against ``safe_size`` (no value counting needed below it) and the
  line limit;
- integers past 64 bits (``_long_integers``): a scan whose pattern never spans a newline,
  so the block has one exactly when some line has;
- duplicate keys (keys.py): both counts are sums over the lines, and each line's count is
  at least its record's, so the block's sum equal to the records' proves every line.

Like every fast path here it only ever accepts: ``decode_block`` returns None whenever a
line needs more (a blank line, a null, a refusal, a check that does not vouch), and the
caller reads the same lines one by one as before, so records, errors, record numbers and
line numbers are today's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from fmtbench.codecs.json.keys import KeyProof
from fmtbench.codecs.json.typed import (
    REJECTED,
    TypedJson,
    _long_integers,
    all_written,
)
from fmtbench.codecs.structs.direct import DIRECT_DECLINED, compile_direct

if TYPE_CHECKING:
    from fmtbench.codecs.base import Record, StructTarget


class BlockDecoder:
    """``decode_block`` for one JSON codec's typed path and limits."""

    def __init__(
        self, typed: TypedJson, root: str, keys: KeyProof, safe_size: int, max_line: int
    ) -> None:
        self._typed, self._keys = typed, keys
        # msgspec's decoder itself where the typed path adds no per-line check of its own;
        # else its checked parse (deep input of a recursive schema).
        self._parse = typed._one.decode if typed._bounded else typed.parse
        # A line as ``_decode_line`` sees it has its newline: one byte more than here.
        self._longest = min(safe_size - 1, max_line)
        # structs/direct.py: where the Structs may be encoded for a writer as they are.
        self._fix = compile_direct(typed.schema, root, typed.bulk_same, all_written)
        self._writeback = msgspec.json.Encoder().encode
        self._cyclic = not typed._bounded

    def decode_block(self, block: bytes, lines: list[bytes]) -> list[Record] | None:
        """The records of ``lines`` (``block`` split at its newlines, none of them blank),
        or None when any line needs the line-by-line path."""
        if max(map(len, lines)) > self._longest:
            return None
        typed = self._typed
        convert = typed.convert
        if typed._gated and _long_integers(block):
            convert = typed.convert_each
        try:
            structs = list(map(self._parse, lines))
            records: list[Any] = list(map(convert, structs))
        except REJECTED:
            return None
        if self._cyclic:
            # keys.py: a recursive record's count walks every node; the Structs written
            # back, when they are the block itself, prove it first (as _decode_line).
            back = b"\n".join(map(self._writeback, structs))
            if back == block or back + b"\n" == block:
                return records
        if not self._keys.unique_all(block, records):
            return None
        return records

    def encode_block(self, block: bytes, lines: list[bytes], target: StructTarget) -> bytes | None:
        """The records of ``lines`` encoded by ``target`` from their Structs, which are
        then canonical (direct.py), or None when the block needs the records built."""
        fix = self._fix
        if fix is None or max(map(len, lines)) > self._longest:
            return None
        try:
            structs = list(map(self._typed._one.decode, lines))
        except REJECTED:
            return None
        # keys.py's proof, on the Structs: they have the keys and text leaves the records
        # would (the same parse; the converters add no key).
        if not self._keys.unique_structs(block, structs):
            return None
        try:
            fix(structs, target.stamps)
        except DIRECT_DECLINED:
            return None
        try:
            # msgspec reads a uint64 past 2**64 - 1 as it is: both targets refuse to write
            # one (StructTarget), so no block scan for 20 digits is needed here.
            return target.encode(structs)
        except Exception:  # the writer's refusal: the records are built and written as usual
            return None
