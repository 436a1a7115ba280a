"""One big message on two cores: half of its list converted in a forked child.

A batch message (a root holding one long list of records) is one record to ``convert``, so
the splitting of big files (``parallel.py``) cannot share it out. Its routes that skip the
canonical record can: protobuf -> protojson writes each half of the list's JSON in its own
process (``protojson/from_protobuf.py``), protojson -> protobuf parses and serializes each
half of the list's text in its own (``protojson/to_protobuf.py``). Both halves run the same
code the whole would, and the joined output is byte for byte the one-process output.

Only where ``convert`` allows it (``sharing``: more than one worker, an input of a few
megabytes), on Linux, in a process running one thread (a fork copies other threads' locks
held), and never again inside a half. The child only computes: it writes nothing but its
result to a pipe and leaves with ``os._exit``, so it runs no cleanup of the parent's (the
temporary output file is the parent's to remove). Whatever goes wrong in it (an exception,
a signal) raises ``HalfFailed`` here, and the caller's usual route, in this process, decides.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

#: Inputs below this are converted by one process: a fork, a pipe and a second interpreter's
#: page faults cost about 10 ms, more than half of a small message saves.
MIN_INPUT_BYTES = 4 << 20
#: Lists shorter than this stay whole, whatever the input's size.
MIN_ITEMS = 1000
#: Bytes of JSON text an item is taken to hold at least, to size a list from its text.
BYTES_AN_ITEM = 64

_T = TypeVar("_T")
_workers = 1  # set by ``sharing`` for one conversion; 1 in a half


class HalfFailed(Exception):
    """The forked half did not deliver its result."""


def can_fork() -> bool:
    """Whether a forked process is safe here: Linux (macOS's system libraries are not safe in
    a forked child) and no thread but this one."""
    return sys.platform == "linux" and threading.active_count() == 1


@contextlib.contextmanager
def sharing(workers: int, input_bytes: int | None) -> Iterator[None]:
    """Let the conversion in this block split a big message's list over two processes, if
    ``workers`` allows it and the input (None: of unknown size) is large enough."""
    global _workers
    before = _workers
    if input_bytes is not None and input_bytes >= MIN_INPUT_BYTES:
        _workers = workers
    try:
        yield
    finally:
        _workers = before


def worth_it(items: int) -> bool:
    """Whether a list of ``items`` is to be converted in two halves now."""
    return items >= MIN_ITEMS and allowed()


def allowed() -> bool:
    """Whether a list, long enough, may be converted in two halves now."""
    return _workers > 1 and can_fork()


def in_two(here: Callable[[], _T], there: Callable[[], bytes | memoryview]) -> tuple[_T, bytes]:
    """``here()`` in this process and ``there()`` in a forked child, at the same time; both
    results. Raises what ``here`` raises, or ``HalfFailed`` if the child does not deliver."""
    global _workers
    read_end, write_end = os.pipe()
    # The parent's objects out of the collector's reach: a collection in either process would
    # otherwise touch every one of them, copying the pages both still share.
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: compute, write, leave without any cleanup of the parent's
        status = 1
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            _workers = 1
            data = there()
            with open(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write_end)
    saved, _workers = _workers, 1
    try:
        with open(read_end, "rb") as pipe:
            mine = here()
            theirs = pipe.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        _workers = saved
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise HalfFailed(f"the forked half ended with status {status:#x}")
    return mine, theirs


# Between two items of a list: "}", ",", "{" and the white space JSON allows around them.
_BETWEEN_ITEMS = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")


#: A big message's bytes as pieces to write one after the other: joined, they would be
#: copied once more (a fresh allocation of the whole, slow to fault in).
Pieces = list[bytes | memoryview]


@dataclass(frozen=True)
class Cut:
    """Where the text of a list is cut in two (``cut_list``). Each half's text is made by
    the process that parses it, so the two copies are made at the same time."""

    data: bytes
    start: int  # the list's '['
    first_end: int  # just past the first half's last '}'
    second_start: int  # the second half's first '{'
    end: int  # just past the list's ']'

    def first(self) -> bytes:
        return b"".join((memoryview(self.data)[self.start : self.first_end], b"]"))

    def second(self) -> bytes:
        return b"".join((b"[", memoryview(self.data)[self.second_start : self.end]))


def cut_list(data: bytes, start: int, end: int) -> Cut | None:
    """``data[start:end]``, the JSON text of a list of objects with no backslash in it, cut
    into the texts of two lists, the first ending at the first '}, {' past the middle outside
    a string (an even count of quotes before it), else at the first of all; None if there is
    none. The caller must parse each as a list of objects: one does not parse if the cut is
    inside an item (its brackets would not balance)."""
    for at in (start + (end - start) // 2, start):
        quotes, counted = data.count(b'"', start, at), at
        for between in _BETWEEN_ITEMS.finditer(data, at, end):
            quotes += data.count(b'"', counted, between.start())
            counted = between.start()
            if quotes % 2 == 0:
                return Cut(data, start, between.start() + 1, between.end() - 1, end)
    return None


def list_span(data: bytes, length: int) -> tuple[int, int] | None:
    """Where the one list of a JSON object holding nothing but one key and that list (whose
    text, as the parser found it, is ``length`` bytes long) lies in ``data``: from the first
    '[' to the last ']', unless the key was given twice (a parser kept the last value) or
    anything but the key's quotes lies outside."""
    start, end = data.find(b"["), data.rfind(b"]") + 1
    if start < 0 or end - start != length:
        return None
    if data.count(b'"', 0, start) + data.count(b'"', end) != 2:
        return None
    return start, end
