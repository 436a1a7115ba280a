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
today's error. The reference is the contract on damaged files too, down to the record an
error names: lxml feeds libxml2 32 KiB at a time (FEED) and returns the records ending in a
feed only once the whole feed parsed, so an error drops the records before it in its feed,
and names the first of them. This reader therefore holds back the records that end in the
feed the scan is in, and a hand-over starts from the first held record; the reference reads
the wrapper's start tag, white space that puts that record at the same line, column and
offset in a feed as in the file, then the file from there (the records already returned are
counted), so its feeds, positions and record numbers are today's. A record the scanner
returns is the one the reference walk returns (test_xml_fast.py holds it to that), and the
text between records is white space, which the reference accepts too.

Where records may nest past ``--max-depth`` (a recursive schema), the scanner declines those
that do (fast_read.py counts the levels as the check does), so only the records of the
reference reader are walked by the check (``depth``), with the errors of the codec's check.
"""

from __future__ import annotations

import re
from codecs import utf_8_decode
from collections import deque
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from fmtbench.codecs.base import Record, RecordReader, _too_deep
from fmtbench.codecs.sparse import count_sparse
from fmtbench.codecs.xml.fast_read import MAX_CHARS, Scan
from fmtbench.errors import LimitError
from fmtbench.limits import DepthCheck

#: Bytes read at a time: the reference reader's first read, and enough for many records.
CHUNK = 1 << 16
#: Bytes lxml's iterparse reads, and feeds libxml2, at a time (tests check it): the
#: reference returns the records that end in a feed after libxml2 has taken the whole feed.
FEED = 1 << 15
_SPACE = re.compile("[ \t\n]*")  # between records; "\r" (the parser rewrites it) hands over


class Replay:
    """Bytes read already, then the rest of the stream: what the reference reader reads.
    Reads are whole (the head topped up from the stream), so the reference reader's feeds
    fall where they would have fallen on the stream itself."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size < 0:
            out, self.head = self.head + self.rest.read(), b""
        elif len(self.head) >= size:
            out, self.head = self.head[:size], self.head[size:]
        else:
            out, self.head = self.head + self.rest.read(size - len(self.head)), b""
        return out


class FastXmlReader(RecordReader):
    """Records of one XML file: the wrapped form by the scanner, anything else by the
    reference reader (``reference`` makes one over a stream). ``depth``: the --max-depth
    check and the limit, for the records of the reference reader (base.py's
    ``_DepthCheckedReader`` does the same for every record), where ``scan`` declines every
    record past the limit."""

    def __init__(
        self,
        src: BinaryIO,
        scan: Scan | None,
        wrapper_open: str,
        record_tag: str,
        reference: Callable[[BinaryIO], RecordReader],
        safe_size: int,
        *,
        depth: tuple[DepthCheck, int] | None = None,
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
        self._depth = depth
        opening = wrapper_open.encode("utf-8")
        head = src.read(max(CHUNK, len(opening)))  # enough to tell the wrapper's start tag
        self._inner: RecordReader | None = None
        if scan is None or not head.startswith(opening):
            # Another form (the single record, another prolog, a DOCTYPE...): the reference
            # reader from the start, made now as it always was (it refuses a DOCTYPE here).
            try:
                self._inner = reference(cast("BinaryIO", Replay(head, src)))
            except RecursionError:
                if depth is None:
                    raise
                raise LimitError(_too_deep(depth[1])) from None
            self._records: Iterator[Record] = self._inner_records()
        else:
            self._records = self._walk(head[len(opening) :])

    def __next__(self) -> Record:
        before = self.count
        try:
            return next(self._records)
        except RecursionError:
            if self._depth is None:
                raise
            raise LimitError(_too_deep(self._depth[1]), record=before + 1) from None

    def _inner_records(self) -> Iterator[Record]:
        inner = self._inner
        assert inner is not None
        check = None if self._depth is None else self._depth[0]
        for record in inner:
            self.count, self.single = inner.count, inner.single
            if check is not None:
                try:
                    check(record)
                except LimitError as exc:
                    raise exc.located(record=self.count) from None
            yield record

    def _hand_over(self, at: int, line: int, column: int, rest: bytes) -> Iterator[Record]:
        """The reference reader from the record (or other text) at byte ``at`` of the file,
        on ``line`` lines after the wrapper's and at ``column`` characters into its line;
        ``rest`` is the file from there on, read so far.

        What it reads: the wrapper's start tag, white space, then ``rest`` and the stream,
        so that ``rest`` begins on the same line and column as in the file (libxml2's
        positions, and the lines its messages name, stay the same) and at the same offset
        in a feed of FEED bytes, in the first feed if it was there, else in a later one
        than the wrapper's start tag. Its feeds then end where the reference's would have
        ended on the file, so it returns the records the reference would return before an
        error, and counts them as the reference would (``_walk`` holds back the records
        that end in the feed where the hand-over falls)."""
        opening = self._open.encode("utf-8")  # ends in a newline: no record on its line
        least = len(opening) + line + column
        if at < FEED:
            target = at
        else:
            target = at % FEED + FEED
            if target < least:
                target += -(-(least - target) // FEED) * FEED
        pad = b" " * max(0, target - least)  # white space in <records>, on the tag's line
        head = opening[:-1] + pad + b"\n" * (line + 1) + b" " * column + rest
        self._inner = self._reference(cast("BinaryIO", Replay(head, self._src)))
        self._inner.count = self.count  # errors name the record they always named
        return self._inner_records()

    def _walk(self, first: bytes) -> Iterator[Record]:
        scan, src, start, end = self._scan, self._src, self._record_start, self._record_end
        assert scan is not None
        space = _SPACE.match  # always matches (possibly nothing)
        safe_size = self._safe_size
        safe_chars = safe_size // 4  # 4 bytes a character at most: no need to count bytes
        # The buffer ``s`` is the file's text from character ``base`` (after the wrapper's
        # start tag), byte ``base_b``; before it, ``lines`` newlines and ``col0`` characters
        # since the last one. ``cur``/``cur_b``: a character and its byte, for non-ASCII text.
        base, base_b = 0, len(self._open.encode("utf-8"))
        lines = col0 = 0
        ascii_text, cur, cur_b = True, 0, base_b
        # The bytes of ``s``, then ``pending``: the start of a character cut by the end of
        # the last read. Each refill decodes the bytes from the first one kept on, in one
        # buffer that is reused: slicing the text kept and joining the new text to it made
        # two more copies of the buffer, fresh memory each (page faults, measured as the
        # largest cost of the stream on records of 47 kB).
        buf = bytearray()
        pending = b""
        # Records scanned but not returned yet, as (record, first character, its byte, byte
        # after its end): those ending in the feed (FEED bytes) the scan is in. The reference
        # returns a record only once libxml2 has taken the whole feed it ends in without an
        # error; a hand-over starts from the first of them, so that the reference returns
        # them, or does not, as it would have.
        held: deque[tuple[Record, int, int, int]] = deque()
        raw = first or src.read(CHUNK)  # empty: the first read held the start tag only
        s, p, eof = "", 0, False
        largest, size = 0, CHUNK  # the largest record so far (characters), bytes a read
        want: str | None = None  # an end tag to read up to before scanning again

        def byte_of(i: int) -> int:  # the byte of s[i] in the file; i never goes back
            nonlocal cur, cur_b
            if ascii_text:
                return base_b + i
            cur_b += len(s[cur - base : i].encode("utf-8"))
            cur = base + i
            return cur_b

        def hand_over(q: int, rest: bytes | None = None) -> Iterator[Record]:
            """From the first held record, else from ``s[q]``; ``rest`` follows ``s``: by
            default the bytes the decoder holds, the start of a character cut by the end of
            the last read (without them, the reference would meet a broken character)."""
            if rest is None:
                rest = pending
            at, at_b = (held[0][1] - base, held[0][2]) if held else (q, byte_of(q))
            nl = s.rfind("\n", 0, at)
            column = col0 + at if nl < 0 else at - nl - 1
            return self._hand_over(
                at_b, lines + s.count("\n", 0, at), column, s[at:].encode() + rest
            )

        while True:
            # -- refill: the unread text (from the first held record), the next chunk ------
            eof = not raw
            keep = held[0][1] - base if held else p
            keep_b = held[0][2] if held else byte_of(p)
            del buf[: keep_b - base_b]  # the bytes of s[keep:] stay, then pending
            buf += raw
            try:  # strict, as the reference; the text kept is decoded again (it was valid)
                text, used = utf_8_decode(buf, "strict", eof)
            except UnicodeDecodeError:
                yield from hand_over(p, pending + raw)
                return
            pending = bytes(buf[used:])
            nl = s.rfind("\n", 0, keep)
            col0 = col0 + keep if nl < 0 else keep - nl - 1
            lines += count_sparse(s, "\n", keep)  # records rarely hold newlines
            s, p = text, p - keep
            base, base_b = base + keep, keep_b
            ascii_text, cur, cur_b = s.isascii(), base, base_b
            amp = "&" in s
            # An error in text: the parser names it. ("]" alone is found by memchr, 70 times
            # faster than the three characters over 700 kB of base64.)
            if "]" in s and "]]>" in s:
                yield from hand_over(p)
                return
            # -- the records the buffer holds whole ------------------------------------
            while True:
                q = space(s, p).end()  # type: ignore[union-attr]
                if s.startswith(start, q):
                    try:
                        record, after = scan(s, q, 0, amp)
                    except Exception:  # declined, or cut by the end of the buffer
                        if not eof and s.find(end, q) < 0 and len(s) - q < MAX_CHARS:
                            # Read on, until its end tag may have come: scanning a cut
                            # record again at every chunk would cost more than the record.
                            want, p = end, q
                            break
                        yield from hand_over(q)
                        return
                    if after - q > safe_chars and (
                        after - q > MAX_CHARS or len(s[q:after].encode()) > safe_size
                    ):  # as large as libxml2's limits, or the values limit: the reference
                        yield from hand_over(q)
                        return
                    p = after
                    if after - q > largest:  # chunks of many records: few records cut
                        largest = after - q
                        size = min(max(CHUNK, 8 * largest), MAX_CHARS)
                    q_b = byte_of(q)
                    after_b = byte_of(after)
                    held.append((record, base + q, q_b, after_b))
                    done = after_b - after_b % FEED  # feeds before this one: taken whole
                    while held and held[0][3] <= done:
                        self.count += 1
                        yield held.popleft()[0]
                    continue
                if (
                    not eof
                    and len(s) - q < max(len(start), 10)
                    and (start.startswith(s[q:]) or "</records>".startswith(s[q:]))
                ):  # nothing, or a tag cut by the end of the buffer: read on
                    p = q
                    break
                if s.startswith("</records>", q) and not s[q + 10 :].strip(" \t\n"):
                    if eof:
                        while held:
                            self.count += 1
                            yield held.popleft()[0]
                        return
                    p = q  # only white space so far after the end tag: read on
                    break
                # Anything else, or the end of the file before </records>: the reference.
                yield from hand_over(q)
                return
            if len(s) - p > MAX_CHARS:  # white space without end, or a huge record
                yield from hand_over(p)
                return
            raw = src.read(size)
            if want is not None:
                # Chunks until the end tag comes (the tag may straddle two chunks: bytes
                # searched across the joint), the end of the file, or too much to hold.
                got, held_b = [raw], len(s) - p + len(raw)
                tail = want.encode("utf-8")
                while got[-1] and tail not in got[-1] and held_b < MAX_CHARS:
                    joint = got[-1][-len(tail) :]
                    got.append(src.read(size))
                    if tail in joint + got[-1][: len(tail)]:
                        break
                    held_b += len(got[-1])
                raw, want = b"".join(got), None
