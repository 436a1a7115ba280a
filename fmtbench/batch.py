"""One large Protobuf batch message converted to JSON by several processes (issue 16).

A message whose root holds nothing but a list of messages (``Batch { repeated Event events
= 1; }``, the usual way to ship many records as one message) is a run of entries, each a key
byte and a length-prefixed sub-message. Any run of whole entries is itself a valid message
of the root type, holding those items: so the file is cut into runs at entry boundaries
(found by walking the length prefixes), each worker converts its run with the same codecs
as one process would, and the JSON texts, each ``{"events":[...]}\\n``, are joined into the
one a single process writes.

Only ever an optimization: wherever anything differs from that plan (another field at the
top level, a malformed prefix, the bound on values that cannot vouch for the whole message,
a worker's error, an output of another shape) ``convert_batch`` returns None and the caller
converts the file in one process, which gives today's bytes or today's error, worded and
located as always. Output is written only once every run succeeded.
"""

from __future__ import annotations

import io
import itertools
import os
from typing import TYPE_CHECKING

from fmtbench.compress import compression
from fmtbench.convert import ConvertResult, resolve_format
from fmtbench.errors import FmtbenchError
from fmtbench.files import STDIO, atomic_output, refuse_same_file
from fmtbench.schema.model import ListOf, MessageRef

if TYPE_CHECKING:
    from fmtbench.codecs import Codec
    from fmtbench.parallel import Options

#: Formats whose one-message file is the JSON text of the record: the joined texts are theirs.
_TARGETS = frozenset({"json", "protojson"})
#: Below this a message is converted by one process (forked workers start in milliseconds).
BATCH_THRESHOLD = 8 << 20

#: In a forked worker: the whole message, inherited from the parent rather than sent.
_data = b""


def convert_batch(src: str, dst: str, options: Options, *, workers: int) -> ConvertResult | None:
    """Convert one Protobuf batch message to JSON or ProtoJSON with ``workers`` forked
    processes; None where this does not apply or anything differs from the plan (see the
    module's docstring): the caller then converts the file in one process."""
    from fmtbench import parallel

    if workers < 2 or STDIO in (src, dst) or options.limits.max_input_bytes is not None:
        return None
    if parallel._start_method() != "fork" or compression(src) or compression(dst):
        return None
    source = resolve_format(src, options.from_format, "--from")
    target = resolve_format(dst, options.to_format, "--to")
    if source != "protobuf" or target not in _TARGETS:
        return None
    try:
        size = os.path.getsize(src)
    except OSError:
        return None  # one process words the error
    decoder, _ = parallel._codecs(options, source, target)
    field = _list_field(decoder)
    if size < BATCH_THRESHOLD or field is None or size > decoder.max_message_bytes:  # type: ignore[attr-defined]
        return None
    refuse_same_file(src, dst)
    tag, names = field
    global _data
    with open(src, "rb") as f:
        _data = f.read()
    try:
        starts = _entries(_data, tag)
        if starts is None or not _few_enough(decoder, len(starts)):
            return None
        runs = _runs(starts, len(_data), workers)
        with parallel._pool(len(runs)) as pool:
            futures = [pool.submit(parallel._task, _convert_run, a, b, options, source, target) for a, b in runs]  # fmt: skip
            parts = [f.result() for f in futures]
    finally:
        _data = b""
    pieces = _pieces(parts, names)
    if pieces is None:
        return None
    with atomic_output(dst) as out:
        for piece in pieces:  # views into the runs' texts: written without copying them
            out.write(piece)
    return ConvertResult(1, source, target)


def _list_field(decoder: Codec) -> tuple[int, tuple[bytes, ...]] | None:
    """The tag and JSON keys of the root's one field, a list of messages; else None."""
    from fmtbench.codecs.protojson.compile import wire_name  # only for a message to convert

    root = decoder.message
    if len(root.fields) != 1 or root.oneofs:
        return None
    f = root.fields[0]
    if not isinstance(f.type, ListOf) or not isinstance(f.type.item, MessageRef) or f.tag >= 16:
        return None
    names = {f.name.encode(), wire_name(f).encode()}
    return f.tag, tuple(b'{"' + n + b'":[' for n in names)


def _entries(data: bytes, tag: int) -> list[int] | None:
    """Where each entry of field ``tag`` starts; None unless the message is those entries
    alone, whole, with lengths of at most three bytes (a 2 MB item: far beyond a batch's)."""
    key = tag << 3 | 2
    starts: list[int] = []
    add = starts.append
    pos, end = 0, len(data)
    while pos < end:
        if data[pos] != key or pos + 1 >= end:
            return None
        add(pos)
        length = data[pos + 1]
        if length < 0x80:
            pos += 2 + length
            continue
        if pos + 2 >= end:
            return None
        second = data[pos + 2]
        if second < 0x80:
            pos += 3 + (length & 0x7F | second << 7)
            continue
        if pos + 3 >= end or data[pos + 3] >= 0x80:
            return None
        pos += 4 + (length & 0x7F | (second & 0x7F) << 7 | data[pos + 3] << 14)
    return starts if pos == end else None


def _few_enough(decoder: Codec, items: int) -> bool:
    """Whether the record cannot hold more values than the limit (values/count.py), by its
    item type's most values: else one process counts it exactly, as always."""
    values = decoder.values
    f = decoder.message.fields[0]
    assert isinstance(f.type, ListOf)
    assert isinstance(f.type.item, MessageRef)
    most = values.most.get(f.type.item.name)
    return most is not None and 1 + items * (1 + most) <= values.limit


def _runs(starts: list[int], end: int, workers: int) -> list[tuple[int, int]]:
    """``workers`` runs of whole entries, of about equal bytes."""
    bounds = [0]
    i = 0
    for k in range(1, workers):
        target = end * k // workers
        while i < len(starts) and starts[i] < target:
            i += 1
        if i < len(starts) and starts[i] > bounds[-1]:
            bounds.append(starts[i])
    bounds.append(end)
    return list(itertools.pairwise(bounds))


def _convert_run(a: int, b: int, options: Options, source: str, target: str) -> bytes | None:
    """Bytes ``[a, b)`` of the message, converted as one process converts a file; runs in a
    forked worker. None on any error: the parent converts the whole file again to word it."""
    from fmtbench import parallel

    decoder, encoder = parallel._codecs(options, source, target)
    out = io.BytesIO()
    try:
        record = decoder.decode(_data[a:b])
        writer = encoder.writer_for_decoded(out, single=True)
        writer.write(record)
        writer.close()
    except FmtbenchError:
        return None
    return out.getvalue()


def _pieces(
    parts: list[bytes | None], prefixes: tuple[bytes, ...]
) -> list[bytes | memoryview] | None:
    """The runs' texts, each ``{"<field>":[items]}\\n``, as the pieces of one: the first
    run's prefix, each run's items with commas between, the end. None if any is not so."""
    end = b"]}\n"
    prefix = None
    pieces: list[bytes | memoryview] = []
    for part in parts:
        if part is None or not part.endswith(end):
            return None
        prefix = prefix or next((p for p in prefixes if part.startswith(p)), None)
        if prefix is None or not part.startswith(prefix) or len(part) <= len(prefix) + len(end):
            return None
        pieces += [b",", memoryview(part)[len(prefix) : -len(end)]]
    assert prefix is not None
    pieces[0] = prefix
    return [*pieces, end]
