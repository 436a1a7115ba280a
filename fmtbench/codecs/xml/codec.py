"""The XML codec: records as namespaced elements, as described by ``fmtbench/schema/xsd.py``.

A record is ``<Order xmlns="urn:fmtbench:shop.order">`` with one child element per field;
a file holds one record element (the single form) or a ``<records>`` wrapper of many.
Encoding lives in ``write.py`` (string building with exact escaping), decoding in
``read.py`` (a hardened lxml parse and a compiled walk); this module ties them to the
``Codec`` interface and holds the file writer and the reference streaming reader.

Message mode tries a fast path first each way: generated writers (``fast_write.py``) and a
generated scanner over the document's text (``fast_read.py``); the stream reader runs the
same scanner record after record (``fast_stream.py``). All only ever accept; what they
decline (every error among it) goes through the reference path above, so results and errors
are the reference's.

``decode()`` takes exactly one record element. A ``<records>`` wrapper is refused even when
it holds one record: message mode has no wrapper, and accepting one would make the same
bytes mean a record to ``decode()`` and a one-record file to ``reader()``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

from fmtbench.codecs.base import (
    Codec,
    Record,
    RecordReader,
    RecordWriter,
    _checked_decode,
    encode_error,
)
from fmtbench.codecs.values.count import ValueCount
from fmtbench.codecs.xml.count import count_element
from fmtbench.codecs.xml.fast_read import XmlFastDecoder
from fmtbench.codecs.xml.fast_stream import FastXmlReader
from fmtbench.codecs.xml.fast_write import XmlFastSource
from fmtbench.codecs.xml.read import (
    Element,
    XmlDecoder,
    XmlMismatch,
    attr_names,
    hardened_parser,
    iterparse_events,
    line_of,
    reject_doctype,
    syntax_error,
)
from fmtbench.codecs.xml.write import (
    DECLARATION,
    UNCHECKED_CHARS,
    NodeSizes,
    XmlEncoder,
    attr_string,
)
from fmtbench.errors import DecodeError, EncodeError, LimitError, ValueMismatch, format_path
from fmtbench.limits import DEFAULT_LIMITS, PROTOBUF, DepthCheck, Limits, Nesting
from fmtbench.schema.model import Schema
from fmtbench.schema.xsd import check_xml_mapping

#: libxml2, without XML_PARSE_HUGE, refuses elements nested past 256 (measured: 256 read):
#: every message, list item, map entry and leaf is an element; attributes are not.
LIBXML2 = Nesting(
    unit="elements",
    root=1,
    counts=dict.fromkeys(PROTOBUF.counts, (0, 1)),
    attribute=(0, 0),
    reader="XML readers (libxml2)",
    cap=256,
)


class XmlCodec(Codec):
    nesting = LIBXML2

    def __init__(
        self,
        schema: Schema,
        type_name: str | None = None,
        *,
        drop_unknown: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(schema, type_name, drop_unknown=drop_unknown, limits=limits)
        check_xml_mapping(schema)
        self._encoder = XmlEncoder(schema, drop_unknown=drop_unknown)
        self._sizes = NodeSizes(schema)
        # Writes the common record and declines (raises) on anything else, which the
        # reference encoder then writes the same way or reports with today's error.
        self._fast_element = XmlFastSource(schema, drop_unknown=drop_unknown).compile()[
            self.message.name
        ]
        self._end = f"</{self.message.name}>"
        self._decoder = XmlDecoder(schema, drop_unknown=drop_unknown)
        # Accepts only documents in the shape the encoder writes, and declines the rest:
        # those (and every error) go through the lxml parse and the reference walk. It
        # declines any record nesting past --max-depth too, counted as the check counts.
        self._fast_decoder = XmlFastDecoder(schema, self.message.name, max_depth=limits.max_depth)
        self._fast = self._fast_decoder.decode
        # Per lxml's docs, sharing a parser between threads is harmless, only less efficient
        # than one each; a codec used from many threads may want one codec per thread.
        self._parser = hardened_parser()
        namespace = attr_string(schema.namespace)
        self._single_start = f'<{self.message.name} xmlns="{namespace}"'
        self._wrapped_start = f"<{self.message.name}"
        self.wrapper_open = f'{DECLARATION}<records xmlns="{namespace}">\n'
        self._document_start = DECLARATION + self._single_start
        self._document_end = self._end + "\n"
        #: The --max-depth check of what the reference paths read, where one is due.
        self._reference_check: DepthCheck | None = None
        check = self._depth_check
        if check is not None and "decode" in self.__dict__ and "reader" in self.__dict__:
            # base.py wrapped decode and reader in the walk of every record. What the
            # scanner accepts is within the limit (it counts as the walk counts): only the
            # records of the reference paths are walked, with the same errors.
            del self.decode, self.reader  # the class's own: they check what the scanner declines
            self._reference_check = check
            self._decode_reference = _checked_decode(  # type: ignore[method-assign,assignment]
                self._decode_reference, check, limits.max_depth
            )

    # -- message mode ----------------------------------------------------------------------
    def encode(self, record: Record) -> bytes:
        text: str | None
        try:
            # The declaration and the final newline ride along as the element's start and
            # end: no copies of the whole text to add them.
            text = self._fast_element(record, self._document_start, self._document_end)
        except Exception:  # any reason at all: the reference writer decides
            text = None
        if text is None:
            text = DECLARATION + self._reference_element(record, self._single_start) + "\n"
        if len(text) > UNCHECKED_CHARS:  # long enough to hold a node libxml2 refuses
            self._refuse_long_nodes(record, self._single_start)
        if len(text) > self._safe_size:  # characters: fewer than bytes, so never too late
            self.refuse_too_many_values(record)
        return text.encode("utf-8")

    def element(self, record: Any, *, single: bool) -> str:
        """One record element as text: with its namespace declaration when it stands alone."""
        start = self._single_start if single else self._wrapped_start
        text: str | None
        try:
            text = self._fast_element(record, start, self._end)
        except Exception:  # any reason at all: the reference writer decides
            text = None
        if text is None:  # outside the handler: its errors do not chain the decline
            text = self._reference_element(record, start)
        if len(text) > UNCHECKED_CHARS:
            self._refuse_long_nodes(record, start)
        if len(text) > self._safe_size:
            self.refuse_too_many_values(record)
        return text

    def _refuse_long_nodes(self, record: Any, start: str) -> None:
        found = self._sizes.find(record, self.message.name, start)
        if found is not None:
            problem, path = found
            raise EncodeError(problem, path=format_path(path))

    def _reference_element(self, record: Any, start: str) -> str:
        try:
            return self._encoder.element(self.message.name, record, start)
        except ValueMismatch as exc:
            raise encode_error(exc) from None

    def decode(self, data: bytes) -> Record:
        if len(data) > self.values.safe_size:  # a large record only (values/count.py)
            self._count_values(data)
        record = self._fast(data)
        if record is not None:
            return record
        return self._decode_reference(data)

    def _decode_reference(self, data: bytes) -> Record:
        """The lxml parse and the reference walk (what ``decode`` falls back to)."""
        try:
            root = etree.fromstring(bytes(data), self._parser)
        except etree.XMLSyntaxError as exc:
            raise syntax_error(exc) from None
        reject_doctype(root)
        if root.tag == self._decoder.tag("records"):
            raise DecodeError(
                f"decode() takes one <{self.message.name}> element, not a <records> wrapper; "
                "read a file of records with reader()",
                position=f"line {line_of(root)}",
            )
        try:
            return self._decoder.record(self.message.name, root)
        except XmlMismatch as exc:
            raise exc.decode_error() from None

    def _count_values(self, data: bytes) -> None:
        try:
            root = etree.fromstring(bytes(data), self._parser)
        except etree.XMLSyntaxError:
            return  # decode names the problem
        count_element(self.values, root)

    # -- stream mode -----------------------------------------------------------------------
    def reader(self, src: BinaryIO) -> RecordReader:
        # The scanner's stream (decode_many, convert and bench read files through it): the
        # same records and errors as the reference reader, which takes over at anything the
        # scanner declines (fast_stream.py; test_xml_stream.py holds the two to that).
        return self.fast_reader(src, checked=True)

    def fast_reader(self, src: BinaryIO, *, checked: bool = False) -> RecordReader:
        """The scanner record after record (fast_stream.py); the reference reader takes over
        at anything it declines. ``checked``: the records of the reference reader pass the
        --max-depth check, where one is due (the codec's ``reader``)."""
        check = self._reference_check if checked else None
        return FastXmlReader(
            src,
            self._fast_decoder.wrapped(),
            self.wrapper_open,
            self.message.name,
            self.reference_reader,
            self.values.safe_size,
            depth=None if check is None else (check, self.limits.max_depth),
        )

    def reference_reader(self, src: BinaryIO) -> RecordReader:
        """The reference reader: lxml's iterparse and the compiled walk of each record (what
        the fast reader hands over to, and what tests compare it with)."""
        return XmlReader(self._decoder, self.message.name, src, self.values)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return XmlWriter(self, out, single=single)


class XmlWriter(RecordWriter):
    """Writes records as they come: the wrapper's start tag with the first one."""

    def __init__(self, codec: XmlCodec, out: BinaryIO, *, single: bool) -> None:
        self._codec = codec
        # Behind the depth checks; the <records> wrapper is one more element for the reader.
        self._element = codec.checked_writes(
            functools.partial(codec.element, single=single), extra=0 if single else 1
        )
        self._out = out
        self._single = single
        self._count = 0
        self._closed = False

    def write(self, record: Record) -> None:
        if self._closed:
            raise EncodeError("the XML writer is already closed")
        index = self._count + 1
        if self._single and self._count:
            raise EncodeError(
                "the single-record XML form holds exactly one record; write a <records> "
                "file for more"
            ).located(record=index)
        try:
            text = self._element(record)
        except EncodeError as exc:
            raise exc.located(record=index) from None
        if self._single:
            text = DECLARATION + text
        elif not self._count:
            text = self._codec.wrapper_open + text
        self._out.write((text + "\n").encode("utf-8"))
        self._count = index

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._single:
            if not self._count:
                raise EncodeError("the single-record XML form needs a record, and none was written")
            return
        head = "" if self._count else self._codec.wrapper_open
        self._out.write((head + "</records>\n").encode("utf-8"))


class XmlReader(RecordReader):
    """Records of one XML file, streamed: one record element, or a ``records`` wrapper.

    Each record is decoded when its end tag is parsed; it and its predecessors are then
    dropped from the tree, so memory stays flat however many records the file holds.
    """

    def __init__(
        self, decoder: XmlDecoder, type_name: str, src: BinaryIO, values: ValueCount
    ) -> None:
        self._decoder = decoder
        self._type_name = type_name
        self._events = iterparse_events(src)
        self._values = values
        self._fed = 0  # bytes read when the previous record ended
        self._records = self._walk()
        self.count = 0
        self.single = False

    def __next__(self) -> Record:
        return next(self._records)

    def _walk(self) -> Iterator[Record]:
        dec = self._decoder
        record_tag, wrapper_tag = dec.tag(self._type_name), dec.tag("records")
        depth = 0
        root: Element | None = None
        try:
            for event, elem in self._events:
                if event == "start":
                    depth += 1
                    if depth == 1:
                        reject_doctype(elem)
                        self.single = self._check_root(elem, record_tag, wrapper_tag)
                        root = elem
                    elif (
                        depth == 2
                        and not self.single
                        and elem.tag != record_tag
                        and not dec.drop_unknown
                    ):  # say so at its start tag, before decoding anything
                        raise XmlMismatch(
                            f"expected <{self._type_name}> records in <records>, got "
                            f"{dec.show(elem.tag)} (use --drop-unknown to discard it)",
                            elem,
                        )
                    continue
                depth -= 1
                if depth == 1 and not self.single:
                    assert root is not None
                    self._count_values(elem)
                    record = self._wrapped(root, elem, record_tag)
                    if record is not None:
                        self.count += 1
                        yield record
                elif depth == 0:
                    if self.single:
                        self._count_values(elem)
                        record = dec.record(self._type_name, elem)
                        self.count = 1
                        yield record
                    else:
                        last = elem[-1] if len(elem) else None
                        dec.check_text(elem.text if last is None else last.tail, elem, last)
        except etree.XMLSyntaxError as exc:
            raise self._locate(syntax_error(exc), root) from None
        except XmlMismatch as exc:
            raise self._locate(exc.decode_error(), root) from None
        except DecodeError as exc:
            raise self._locate(exc, root) from None

    def _count_values(self, elem: Element) -> None:
        """Count a record that could expand past the values limit (values/count.py),
        before the decoder zero-fills it; most records are small enough not to."""
        source = self._events.source
        size = source.fed - self._fed + source.largest  # at most: see _Replay
        self._fed = source.fed
        if not self._values.safe(size):
            try:
                count_element(self._values, elem)
            except LimitError as exc:
                exc.position = f"line {line_of(elem)}"
                raise

    def _locate(self, exc: DecodeError, root: Element | None) -> DecodeError:
        if root is None:  # nothing read yet: the problem is the document, not a record
            return exc
        exc.located(record=self.count + 1)
        return exc

    def _check_root(self, root: Element, record_tag: str, wrapper_tag: str) -> bool:
        """Whether the file is in the single form; checks the wrapper's attributes."""
        if root.tag == record_tag:
            return True
        if root.tag != wrapper_tag:
            raise DecodeError(
                f"expected <{self._type_name}> or <records> in namespace "
                f"{self._decoder.ns!r}, got {self._decoder.show(root.tag)}",
                position=f"line {line_of(root)}",
            )
        if not self._decoder.drop_unknown:
            for name in attr_names(root):
                raise self._decoder.unknown_attribute(name, root).decode_error()
        return False

    def _wrapped(self, root: Element, elem: Element, record_tag: str) -> Record | None:
        """Decode a record that just ended inside the wrapper, then let the tree forget it."""
        dec = self._decoder
        prev = elem.getprevious()
        # The previous record's tail is complete only now: iterparse reports ends in batches,
        # so text after this element may not have been parsed yet.
        dec.check_text(root.text if prev is None else prev.tail, root, prev)
        while elem.getprevious() is not None:
            del root[0]
        record = dec.record(self._type_name, elem) if elem.tag == record_tag else None
        del elem[:]  # its children; the element itself (and its tail) goes with the next one
        return record
