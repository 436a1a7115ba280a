"""A fast path for reading XML files of records: the message scanner, record after record.

``XmlReader`` (codec.py) is the reference: lxml's ``iterparse`` and the compiled walk of each
record element, which costs several times what ``XmlCodec.decode`` costs a record, since
message mode scans the text instead (fast_read.py). This reader takes the file the writer
writes, ``<records xmlns="...">`` with the declaration before it, and runs the scanner of a
wrapped record (``XmlFastDecoder.wrapped``) over a text buffer refilled in chunks, so memory
stays one chunk plus one record however many records the file holds.

Like the scanner, it only ever accepts: at the first thing it does not take (another
prolog, a comment between records, a record the scanner declines, a record large enough to
need the values count, bytes that are not UTF-8, anything after ``</records>``) it hands the
rest of the file to the reference reader, which then returns the same records or raises
today's error. The hand-over replays what the reference would have read, so its positions
are today's: the wrapper's start tag, as many newlines as came before the current record
(the same line numbers), then the text from that record on and the rest of the stream; the
records already returned are counted, so errors name the same record. A record the scanner
returns is the one the reference walk returns (test_xml_fast.py holds it to that), and the
text between records is whitespace, which the reference accepts too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from fmtbench.codecs.base import Record, RecordReader
from fmtbench.codecs.xml.fast_read import MAX_CHARS, Scan

#: Bytes read at a time: the reference reader's first read, and enough for many records.
CHUNK = 1 << 16
_SPACE = re.compile("[ \t\n]*")  # between records; "\r" (the parser rewrites it) hands over


class Replay:
    """Bytes read already, then the rest of the stream: what the reference reader reads."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size < 0:
            out, self.head = self.head + self.rest.read(), b""
        else:
            out, self.head = self.head[:size], self.head[size:]
        return out


class FastXmlReader(RecordReader):
    """Records of one XML file: the wrapped form by the scanner, anything else by the
    reference reader (``reference`` makes one over a stream)."""

    def __init__(
        self,
        src: BinaryIO,
        scan: Scan | None,
        wrapper_open: str,
        record_tag: str,
        reference: Callable[[BinaryIO], RecordReader],
        safe_size: int,
    ) -> None:
        if not hasattr(src, "read"):  # as the reference: a str would be opened as a path
            raise TypeError(f"expected a binary file object, got {type(src).__name__}")
        self._src, self._scan, self._reference = src, scan, reference
        self._open = wrapper_open
        self._record_start = f"<{record_tag}"
        self._record_end = f"</{record_tag}>"
        # A record of more bytes than this could hold more values than the limit: the
        # reference reader counts those.
        self._safe_size = safe_size
        self.count = 0
        self.single = False
        head = src.read(CHUNK)
        self._inner: RecordReader | None = None
        if scan is None or not head.startswith(wrapper_open.encode("utf-8")):
            # Another form (the single record, another prolog, a DOCTYPE...): the reference
            # reader from the start, made now as it always was (it refuses a DOCTYPE here).
            self._inner = reference(cast("BinaryIO", Replay(head, src)))
            self._records: Iterator[Record] = self._inner_records()
        else:
            self._records = self._walk(head[len(wrapper_open.encode("utf-8")) :])

    def __next__(self) -> Record:
        return next(self._records)

    def _inner_records(self) -> Iterator[Record]:
        inner = self._inner
        assert inner is not None
        for record in inner:
            self.count, self.single = inner.count, inner.single
            yield record

    def _hand_over(self, lines: int, rest: bytes) -> Iterator[Record]:
        """The reference reader from here: the wrapper's start tag, ``lines`` newlines (the
        line of the next record stays the same), the unread text, then the stream."""
        head = (self._open + "\n" * lines).encode("utf-8") + rest
        self._inner = self._reference(cast("BinaryIO", Replay(head, self._src)))
        self._inner.count = self.count  # errors name the record they always named
        return self._inner_records()

    def _walk(self, first: bytes) -> Iterator[Record]:
        decoder = codecs.getincrementaldecoder("utf-8")()  # strict, as the reference
        scan, src, start, end = self._scan, self._src, self._record_start, self._record_end
        assert scan is not None
        space = _SPACE.match  # always matches (possibly nothing)
        safe_size = self._safe_size
        safe_chars = safe_size // 4  # 4 bytes a character at most: no need to count bytes
        lines = 0  # newlines in the text dropped from the buffer (after the wrapper's tag)
        raw = first
        s, p, eof = "", 0, False
        largest, size = 0, CHUNK  # the largest record so far (characters), bytes a read
        want: str | None = None  # an end tag to read up to before scanning again
        while True:
            # -- refill: the unread text, and the next chunk decoded -----------------------
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError:
                rest = s[p:].encode("utf-8") + pending + raw
                yield from self._hand_over(lines + s.count("\n", 0, p), rest)
                return
            eof = not raw
            lines += s.count("\n", 0, p)
            s, p = s[p:] + text, 0
            amp = "&" in s
            if "]]>" in s:  # an error in text: the parser names it
                yield from self._hand_over(lines, s.encode("utf-8"))
                return
            # -- the records the buffer holds whole ------------------------------------
            while True:
                q = space(s, p).end()  # type: ignore[union-attr]
                if s.startswith(start, q):
                    try:
                        record, after = scan(s, q, 1, amp)
                    except Exception:  # declined, or cut by the end of the buffer
                        if not eof and s.find(end, q) < 0 and len(s) - q < MAX_CHARS:
                            # Read on, until its end tag may have come: scanning a cut
                            # record again at every chunk would cost more than the record.
                            want, p = end, q
                            break
                        yield from self._hand_over(lines + s.count("\n", 0, q), s[q:].encode())
                        return
                    if after - q > safe_chars and (
                        after - q > MAX_CHARS or len(s[q:after].encode()) > safe_size
                    ):  # as large as libxml2's limits, or the values limit: the reference
                        yield from self._hand_over(lines + s.count("\n", 0, q), s[q:].encode())
                        return
                    p = after
                    if after - q > largest:  # chunks of many records: few records cut
                        largest = after - q
                        size = min(max(CHUNK, 8 * largest), MAX_CHARS)
                    self.count += 1
                    yield record
                    continue
                if q == len(s) and not eof:
                    p = q
                    break
                if s.startswith("</records>", q) and not s[q + 10 :].strip(" \t\n"):
                    if eof:
                        return
                    p = q  # only white space so far after the end tag: read on
                    break
                # Anything else, or the end of the file before </records>: the reference.
                yield from self._hand_over(lines + s.count("\n", 0, q), s[q:].encode())
                return
            if len(s) - p > MAX_CHARS:  # white space without end, or a huge record
                yield from self._hand_over(lines + s.count("\n", 0, p), s[p:].encode())
                return
            raw = src.read(size)
            if want is not None:
                # Chunks until the end tag comes (the tag may straddle two chunks: bytes
                # searched across the joint), the end of the file, or too much to hold.
                got, held = [raw], len(s) - p + len(raw)
                tail = want.encode("utf-8")
                while got[-1] and tail not in got[-1] and held < MAX_CHARS:
                    joint = got[-1][-len(tail) :]
                    got.append(src.read(size))
                    if tail in joint + got[-1][: len(tail)]:
                        break
                    held += len(got[-1])
                raw, want = b"".join(got), None
