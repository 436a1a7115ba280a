"""Records from a reader to a writer: the loop ``convert`` and its parallel chunks share.

Record by record costs a few Python calls a record around the libraries' own work; where
the reader hands out lists (``batches``: JSON Lines) and the writer takes them
(``write_many``: the framed formats), whole lists move at once. (A reader checked for
depth, of a recursive schema, offers none: its records are large, and lists of them only
keep more objects alive for the garbage collector.) A writer that takes a reader's one
parsed message as it is (``take_parsed``: ProtoJSON from a Protobuf message) is given it,
and no record is made. Both sides keep today's records, bytes and errors (they fall back on
their one-record paths), and a reader hands on the records before an error first, so a
writer's error on an earlier record still comes first.
"""

from __future__ import annotations

from collections.abc import Callable

from fmtbench.codecs.base import Encoded, RecordReader, RecordWriter

#: Records between two progress calls: often enough for a bar, rare enough to cost nothing.
PROGRESS_EVERY = 2048


def pump(
    reader: RecordReader, writer: RecordWriter, tick: Callable[[int], None] | None = None
) -> int:
    """Write every record of ``reader``; return how many. ``tick`` is called with the
    count so far about every ``PROGRESS_EVERY`` records."""
    take = getattr(writer, "take_parsed", None)
    if take is not None and take(reader):  # the one message, as parsed (protojson)
        if tick is not None:
            tick(1)
        return 1
    batches = getattr(reader, "batches", None)
    write_many = getattr(writer, "write_many", None)
    count = 0
    if batches is None or write_many is None:
        write = writer.write
        for record in reader:
            write(record)
            count += 1
            if tick is not None and count % PROGRESS_EVERY == 0:
                tick(count)
        return count
    target = getattr(writer, "structs", None)
    direct = getattr(reader, "direct_batches", None)
    lists = direct(target) if target is not None and direct is not None else batches()
    due = PROGRESS_EVERY
    for batch in lists:
        if batch.__class__ is Encoded:
            writer.write_encoded(batch)  # type: ignore[attr-defined]  # where ``structs`` is
            count += batch.count
        else:
            write_many(batch)
            count += len(batch)
        if tick is not None and count >= due:
            tick(count)
            due = count - count % PROGRESS_EVERY + PROGRESS_EVERY
    return count
