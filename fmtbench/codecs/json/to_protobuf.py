"""Protobuf bytes of a batch message straight from JSON text: ``convert`` json -> protobuf
without the tree, the canonical record or the keyword walk in the middle.

A batch is a root of one field holding a list of messages (``from_protobuf.batch_field``).
Its items are read as JSON Lines blocks are for delimited Protobuf (block.py
``encode_block``): msgspec parses them into the item type's typed Structs (typed.py), the
key proof vouches for them (keys.py), structs/direct.py makes their leaves canonical, and
``msgspec.to_builtins`` gives the keywords from which upb builds the root message. The list's
text is cut in two halves parsed and serialized in two processes where ``halves.py`` allows
it: the two serialized roots of one repeated field each, one after the other, are the whole
message's bytes.

It only ever accepts: anything it does not vouch for (a key given twice that the proof
cannot rule out, a leaf the direct path declines, a root with anything but its list, a value
upb refuses) makes it decline, and the usual route reads the same bytes, which gives the same
message or raises today's error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from fmtbench import halves
from fmtbench.codecs.json.codec import JsonCodec, json_bound
from fmtbench.codecs.json.from_protobuf import batch_field
from fmtbench.codecs.protobuf.kwargs import _KEPT, structs_encodable, timestamp_fields
from fmtbench.codecs.protobuf.shadow import shadow_class, stamp_bytes
from fmtbench.halves import Pieces, cut_list, in_two, list_span, worth_it
from fmtbench.schema.proto import compile_classes

_to_builtins = msgspec.to_builtins


class _Decline(Exception):
    """Raised where the usual route must read the input."""


class BatchToProtobuf:
    """One schema's route: ``encode(data)`` -> the root message's bytes (in pieces, see
    ``halves.Pieces``), or None."""

    def __init__(self, codec: JsonCodec, items: JsonCodec, name: str, cls: type[Any]) -> None:
        self.codec, self.name = codec, name
        # The items' timestamps as their bytes, through shadows (protobuf/shadow.py),
        # where the pool takes them.
        self.cls: type[Any] = cls
        self.stamps: Callable[[list[datetime]], list[Any]] = timestamp_fields
        compiled = compile_classes(codec.schema)
        item = compiled.classes[items.message.name]
        item_shadow = shadow_class(item, compiled.pool)
        if item_shadow is not None:
            swap = {item.DESCRIPTOR.full_name: item_shadow}
            root_shadow = shadow_class(cls, compiled.pool, swap)
            if root_shadow is not None:
                self.cls, self.stamps = root_shadow, stamp_bytes
        self.items = msgspec.json.Decoder(list[items._typed.root_type]).decode  # type: ignore[name-defined]
        self.keys = items._keys
        fix = items.block_decoder._fix
        assert fix is not None
        self.fix = fix
        # The root with its list left as text: its one field, under its name (the
        # attribute's is generated: a field may be named anything).
        lazy = msgspec.defstruct(
            f"{codec.message.name}_lazy",
            [("f0", msgspec.Raw | msgspec.UnsetType, msgspec.UNSET)],
            rename={"f0": name},
            forbid_unknown_fields=True,
        )
        self.lazy = msgspec.json.Decoder(lazy).decode

    def encode(self, data: bytes) -> Pieces | None:
        values = self.codec.values
        if not values.safe(len(data)) and json_bound(data, values.per_byte) > values.limit:
            return None  # a record that may hold too many values: the usual route counts
        try:
            raw = self.lazy(data).f0  # type: ignore[attr-defined]
        except (msgspec.DecodeError, RecursionError):
            return None
        if raw is msgspec.UNSET:
            return None
        span = list_span(data, len(raw))
        if span is None:
            return None
        cut = None
        # Only text without a backslash can be cut (its quotes all delimit strings).
        if worth_it(len(data) // halves.BYTES_AN_ITEM) and b"\\" not in data:
            cut = cut_list(data, *span)
        try:
            if cut is None:
                return [self._half(data[span[0] : span[1]])]
            mine, theirs = in_two(lambda: self._half(cut.first()), lambda: self._half(cut.second()))
        except Exception:  # any reason at all: the usual route decides
            return None
        return [mine, theirs]

    def _half(self, text: bytes) -> bytes:
        """The root holding only the items of ``text`` (a JSON array), serialized; raises
        where it declines."""
        structs = self.items(text)
        if not self.keys.unique_structs(text, structs):
            raise _Decline  # a key given twice, maybe
        self.fix(structs, self.stamps)
        kwargs = _to_builtins(structs, builtin_types=_KEPT)
        return self.cls(**{self.name: kwargs}).SerializeToString(deterministic=True)  # type: ignore[no-any-return]


def compile_route(codec: JsonCodec, target: Any) -> BatchToProtobuf | None:
    """The route from ``codec``'s text to ``target``'s message (a Protobuf codec of the same
    schema and type), or None where it does not apply."""
    schema, root = codec.schema, codec.message.name
    batch = batch_field(schema, root)
    if batch is None or codec.drop_unknown:
        return None
    name, item = batch
    if not structs_encodable(schema, item):
        return None
    items = JsonCodec(schema, item, limits=codec.limits)
    if items.block_decoder._fix is None:
        return None
    return BatchToProtobuf(codec, items, name, target.message_class)
