"""ProtoJSON trees straight from parsed Protobuf messages: ``convert`` protobuf -> protojson
without the canonical record in the middle.

Every conversion decodes to canonical records and encodes them again; for this pair that
middle step was about a third of the whole process (100,000 ``log`` records in one batch
message: a dict and a ``datetime`` a record, built to be taken apart at once). Here one
function per message type is generated from both sides' generators:

- each field's canonical value comes from the Protobuf fast decoder's own expression for it
  (``protobuf/fast_read.py``: the same attribute reads, range checks of 64-bit-wide
  varints, enum numbers, timestamps and unknown-field checks);
- the ProtoJSON writer's own statements for the field then write that value
  (``compile.py`` ``field_lines``: the same names, defaults left out, spellings);
- a sub-message is the generated function of its type, called on the parsed sub-message.

So the tree is the one ``writer(canonical record)`` gives, field by field. As both sides'
fast paths, it only ever accepts: any exception sends the message to the usual path (the
canonical record, then the ProtoJSON writer), which returns the same tree or today's error.
Schemas the functions would not cover alike are left to that path entirely: oneofs (the
reading classes keep two members set; the reference names them), maps of messages, and
recursive types (their --max-depth checks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from fmtbench.codecs.protobuf.fast_read import FastDecoders
from fmtbench.codecs.protobuf.source import attr as read_field
from fmtbench.codecs.protojson.codec import _dumps
from fmtbench.codecs.protojson.compile import _by_tag, _Writer, wire_name
from fmtbench.halves import Pieces, in_two, worth_it
from fmtbench.schema.model import ListOf, MapOf, MessageRef, Schema

Fused = Callable[[Any], dict[str, Any]]


def _covered(schema: Schema, fast: FastDecoders) -> bool:
    if fast.cyclic:
        return False
    for msg in schema.messages.values():
        if msg.oneofs:
            return False
        for f in msg.fields:
            if isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef):
                return False
    return True


class _FusedSource(FastDecoders):
    """FastDecoders' field expressions, ProtoJSON's field statements, one function a type."""

    def __init__(
        self, schema: Schema, classes: dict[str, type[Any]], *, strict: bool, writer: _Writer
    ) -> None:
        super().__init__(schema, classes, strict=strict)
        self.writer = writer

    def compile_fused(self) -> dict[str, Fused]:
        source = "\n".join(self.fused(name) for name in self.index)
        # Both generators' bound names are numbered in their own series (_o, _e, _h; _c, _w).
        self.ns.update(self.writer.ns)
        self.ns["_many"] = _many
        exec(source, self.ns)  # generated from the schema model only (see both generators)
        return {name: self.ns[f"_f{i}"] for name, i in self.index.items()}

    def fused(self, name: str) -> str:
        self.counter = 0
        i = self.index[name]
        msg = self.schema.messages[name]
        lines: list[str] = []
        if self.strict:
            lines += ["if _U(m):", "    raise _Fallback"]
        for f in msg.fields:
            if f.required:  # proto2: the reference names a missing one
                lines += [f"if not _h{i}(m, {f.name!r}):", "    raise _Fallback"]
        lines.append("o = {}")
        for f in _by_tag(msg.fields):
            key = repr(f.name if self.writer.proto_names else wire_name(f))
            t, attr = f.type, read_field("m", f.name)
            if f.wrapper or f.optional:
                lines.append(f"if _h{i}(m, {f.name!r}):")
                inner: list[str] = []
                if f.wrapper:
                    inner.append(f"w = {attr}")
                    if self.strict:
                        inner += ["if _U(w):", "    raise _Fallback"]
                    inner.append(f"x = {self.leaf(t, 'w.value')}")
                    inner.append(f"o[{key}] = {self.writer.value(t, 'x')}")
                elif isinstance(t, MessageRef):
                    inner.append(f"o[{key}] = _f{self.index[t.name]}({attr})")
                else:
                    pre: list[str] = []
                    value = self.field(t, attr, pre, "", [0])
                    inner += [line[4:] for line in pre]  # see below
                    inner += [f"x = {value}", f"o[{key}] = {self.writer.value(t, 'x')}"]
                lines += [f"    {line}" for line in inner]
            elif isinstance(t, MessageRef):
                lines.append(f"o[{key}] = _f{self.index[t.name]}({attr})")
            elif isinstance(t, ListOf) and isinstance(t.item, MessageRef):
                # A message is always written, so a list of them is written when not empty.
                lines += [
                    f"x = {attr}",
                    f"if x: o[{key}] = _many(_f{self.index[t.item.name]}, x)",
                ]
            else:
                # fast_read's statements sit one level deeper than its functions' bodies.
                pre = []
                value = self.field(t, attr, pre, "", [0])
                lines += [line[4:] for line in pre]
                lines.append(f"x = {value}")
                lines += self.writer.field_lines(f, key, checked=False)
        lines.append("return o")
        return "\n".join([f"def _f{i}(m):", *(f"    {line}" for line in lines)])


#: The lists written in halves by ``_many`` since ``written`` began: each list's text, in
#: pieces, under the marker that stands for it in the tree. None: ``_many`` joins them.
_pending: dict[bytes, Pieces] | None = None


def _many(convert: Fused, items: Sequence[Any]) -> list[dict[str, Any]] | msgspec.Raw:
    """The trees of a list of messages; a long one in a big message (``halves.py``) as its
    JSON text instead, written by msgspec as the whole tree's writer would, half of it in a
    forked process. Under ``written``, that text is not joined (a copy of the whole, slow to
    fault in): a marker stands for it in the tree, and its pieces take the marker's place."""
    n = len(items)
    if not worth_it(n):
        return list(map(convert, items))
    h = n // 2
    mine, theirs = in_two(
        lambda: _dumps(list(map(convert, items[:h]))),
        lambda: _dumps(list(map(convert, items[h:]))),
    )
    # "[a,b]" and "[c]" make "[a,b,c]": msgspec writes a list with no space anywhere.
    pieces: Pieces = [memoryview(mine)[:-1], b",", memoryview(theirs)[1:]]
    if _pending is None:
        return msgspec.Raw(b"".join(pieces))
    marker = b'"fmtbench-halves-' + os.urandom(16).hex().encode() + b'"'
    _pending[marker] = pieces
    return msgspec.Raw(marker)


def written(fused: Fused, msg: Any) -> Pieces:
    """``_dumps(fused(msg))``, the message's ProtoJSON text, as pieces to write one after
    the other: the lists ``_many`` wrote in halves take their markers' places. Where a
    marker is not found exactly once (another value spells it: a chance of 2^-128 a
    message, the marker being random), the text is made again with the lists joined."""
    global _pending
    _pending = {}
    try:
        text = _dumps(fused(msg))
        found = {marker: text.find(marker) for marker in _pending}
        if any(text.count(marker) != 1 for marker in found):
            _pending = None
            return [_dumps(fused(msg))]
        view, pieces, done = memoryview(text), [], 0
        for at, marker in sorted((at, marker) for marker, at in found.items()):
            pieces += [view[done:at], *_pending[marker]]
            done = at + len(marker)
        pieces.append(view[done:])
        return pieces
    finally:
        _pending = None


def compile_fused(
    schema: Schema, classes: dict[str, type[Any]], *, strict: bool, proto_names: bool
) -> dict[str, Fused] | None:
    """Per message type: parsed message (of the Protobuf codec's reading ``classes``) ->
    the ProtoJSON tree, or an exception; None for a schema left to the usual path."""
    source = _FusedSource(schema, classes, strict=strict, writer=_Writer(schema, proto_names))
    if not _covered(schema, source):
        return None
    return source.compile_fused()
