"""The limits every reader and writer keeps, in one place (documented in docs/limits.md).

- ``max_depth``: how deep messages may nest, counted as Protobuf counts it (every message
  below the record, and every map entry, is one level). upb refuses more than 100 levels,
  so a record any format accepts past that could not be written as Protobuf; one cap for
  every format, input and output alike, keeps every record convertible to every format.
- ``max_record_bytes``: the largest single record (a JSON line, a delimited Protobuf
  frame, a MessagePack object, a single Protobuf message), and so the largest length
  prefix believed before any allocation.
- ``max_input_bytes``: the most bytes read from one input, counted while reading (a pipe
  has no size to ``stat``); none by default, since streams of any size are the point.
- ``max_record_values``: the most values one record may hold in its canonical form (every
  field of every message, zero-filled ones included, every list element and map entry);
  by default ``max_record_bytes // 16``. Input bytes bound what a record spells out, but
  not what it expands to: one byte of MessagePack (``{}``) becomes a message with every
  field at its zero value, so a 1 MB record could otherwise become gigabytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from fmtbench.errors import LimitError, SchemaError, UsageError, format_path, key_segment
from fmtbench.schema.model import FieldType, ListOf, MapOf, MessageRef, Schema

DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_RECORD_BYTES = 64 * 2**20
#: The largest size limit: far beyond any file, and small enough that every reader's
#: arithmetic on it (a buffer size, a limit plus a few bytes) stays a C ``ssize_t``.
MAX_SIZE = 1 << 60
#: The default values limit is one value per this many bytes of ``max_record_bytes``: a
#: decoded value costs 50-75 bytes of memory (measured on 200,000 empty ``sensor`` children,
#: 3.8 million values: 186-270 MB by format), so a record at the limit takes about 3 to 5
#: times ``max_record_bytes`` once decoded (docs/limits.md).
VALUES_PER_BYTE = 16


@dataclass(frozen=True)
class Limits:
    max_depth: int = DEFAULT_MAX_DEPTH
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    max_input_bytes: int | None = None
    #: None: ``max_record_bytes // 16`` (``record_values``).
    max_record_values: int | None = None

    @property
    def record_values(self) -> int:
        """The values one record may hold (``max_record_values`` or its default)."""
        if self.max_record_values is not None:
            return self.max_record_values
        return max(self.max_record_bytes // VALUES_PER_BYTE, 1)

    def __post_init__(self) -> None:
        # Checked here, so that a caller of the API gets one clear error, not an
        # OverflowError from a C library half way through a file.
        for name, value, top in (
            ("max_depth", self.max_depth, MAX_SIZE),
            ("max_record_bytes", self.max_record_bytes, MAX_SIZE),
            ("max_input_bytes", self.max_input_bytes, MAX_SIZE),
            ("max_record_values", self.max_record_values, MAX_SIZE),
        ):
            if value is None and name in ("max_input_bytes", "max_record_values"):
                continue
            if type(value) is not int or not 1 <= value <= top:
                flag = "--" + name.replace("_", "-")
                raise UsageError(
                    f"{name} ({flag}) must be a whole number from 1 to 2**60, not {value!r}"
                )


DEFAULT_LIMITS = Limits()

DepthCheck = Callable[[Any], None]


def _children(ftype: FieldType) -> tuple[str, int, str] | None:
    """(how, levels, message) for a field holding messages: one level, two for map entries."""
    if isinstance(ftype, MessageRef):
        return "one", 1, ftype.name
    if isinstance(ftype, ListOf) and isinstance(ftype.item, MessageRef):
        return "list", 1, ftype.item.name
    if isinstance(ftype, MapOf) and isinstance(ftype.value, MessageRef):
        return "map", 2, ftype.value.name
    if isinstance(ftype, MapOf):
        return "entries", 1, ""  # map entries of scalars: a level of their own in Protobuf
    return None


Edges = Callable[[str], list[tuple[int, str | None]]]


def longest_path(root: str, edges: Edges) -> int | None:
    """The most levels along ``edges`` from ``root`` (an edge without a message adds its
    levels and ends there), or None when a cycle is reachable. Iterative: a schema may
    chain thousands of messages, past Python's stack."""
    state: dict[str, int] = {root: 1}
    order: list[str] = []  # every reachable message, children before parents
    stack = [(root, iter(edges(root)))]
    while stack:
        name, todo = stack[-1]
        for _, child in todo:
            if child is None:
                continue
            seen = state.get(child)
            if seen == 1:
                return None
            if seen is None:
                state[child] = 1
                stack.append((child, iter(edges(child))))
                break
        else:
            state[name] = 2
            order.append(name)
            stack.pop()
    best: dict[str, int] = {}
    for name in order:
        best[name] = max(
            (levels + (best[child] if child else 0) for levels, child in edges(name)), default=0
        )
    return best[root]


def static_depth(schema: Schema, root: str) -> int | None:
    """The deepest nesting any record of ``root`` can reach, or None if unbounded."""

    def edges(name: str) -> list[tuple[int, str | None]]:
        out: list[tuple[int, str | None]] = []
        for f in schema.messages[name].fields:
            if (child := _children(f.type)) is not None:
                _, levels, inner = child
                out.append((levels, inner or None))
        return out

    return longest_path(root, edges)


def forced_depth(schema: Schema, root: str) -> int:
    """The nesting every record of ``root`` has, whatever its values: a non-optional
    message field always holds a message (lists and maps may be empty). Required cycles
    are refused by the loader, so this is finite."""

    def edges(name: str) -> list[tuple[int, str | None]]:
        return [
            (1, f.type.name)
            for f in schema.messages[name].fields
            if isinstance(f.type, MessageRef) and not f.optional
        ]

    depth = longest_path(root, edges)
    assert depth is not None, "a required cycle passed the loader"
    return depth


def depth_check(schema: Schema, root: str, max_depth: int) -> DepthCheck | None:
    """A check of one canonical record's nesting, or None when no record can exceed it.

    A record type whose every record nests past ``max_depth`` is a schema error here,
    before any record is read: no record of it could ever be written or read.
    """
    least = forced_depth(schema, root)
    if least > max_depth:
        raise SchemaError(
            f"every record of {root} nests at least {least} levels (its required message"
            f" fields), over the limit of {max_depth} (--max-depth): no record of it could"
            " be written or read; make a field on that chain optional"
        )
    deepest = static_depth(schema, root)
    if deepest is not None and deepest <= max_depth:
        return None
    plans = {
        name: [(f.name, c) for f in msg.fields if (c := _children(f.type))]
        for name, msg in schema.messages.items()
    }

    def check(record: Any) -> None:
        # Iterative, so that a record too deep for Python's stack is still measured. Each
        # entry: (value, message, depth, parent entry, path segments to it from the parent).
        stack: list[tuple[Any, str, int, Any, tuple[str | int, ...]]] = [
            (record, root, 0, None, ())
        ]
        while stack:
            entry = stack.pop()
            value, name, depth, _, _ = entry
            if depth > max_depth:
                raise LimitError(
                    f"nested {depth} levels deep, over the limit of {max_depth} (--max-depth)",
                    path=_path(entry),
                )
            if type(value) is not dict or not name:
                continue  # not a message: the codec names that problem
            for field, (how, levels, inner) in plans[name]:
                x = value.get(field)
                if how == "one" and type(x) is dict:
                    stack.append((x, inner, depth + levels, entry, (field,)))
                elif how == "list" and type(x) is list:
                    for i, item in enumerate(x):
                        stack.append((item, inner, depth + levels, entry, (field, i)))
                elif how == "map" and type(x) is dict:
                    for k, item in x.items():
                        stack.append((item, inner, depth + levels, entry, (field, key_segment(k))))
                elif how == "entries" and x and depth + 1 > max_depth:
                    k = next(iter(x))  # an entry is a level of its own in Protobuf
                    stack.append((None, "", depth + 1, entry, (field, key_segment(k))))

    return check


def _path(entry: Any) -> str:
    parts: list[tuple[str | int, ...]] = []
    while entry is not None:
        parts.append(entry[4])
        entry = entry[3]
    text = format_path(tuple(s for part in reversed(parts) for s in part))
    # A hundred levels make a long path: keep its two ends, the line stays readable.
    return text if len(text) <= 120 else f"{text[:60]}…{text[-50:]}"


class LimitedInput:
    """A binary input that raises LimitError once more than ``limit`` bytes were read."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self.raw, self.limit = raw, limit
        self.seen = 0

    def _count(self, data: bytes) -> bytes:
        self.seen += len(data)
        if self.seen > self.limit:
            raise LimitError(
                f"input is over the limit of {self.limit} bytes (--max-input-bytes)",
                position=f"byte offset {self.limit}",
            )
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self.raw.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self.raw.readline(size))

    def __iter__(self) -> LimitedInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)
