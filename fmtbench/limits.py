"""The limits every reader and writer keeps, in one place (documented in docs/limits.md).

- ``max_depth``: how deep messages may nest, counted as Protobuf counts it (every message
  below the record, every map entry and every timestamp is one level). upb refuses more
  than 100 levels, so a record any format accepts past that could not be written as
  Protobuf; one cap for every format, input and output alike, keeps every record
  convertible to every format. Each format's writers also refuse what its own reader's
  library would not read (``Nesting``), wherever ``max_depth`` is raised past it.
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

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from fmtbench.errors import LimitError, SchemaError, UsageError, format_path, key_segment
from fmtbench.schema.model import Field, ListOf, MapOf, MessageRef, Scalar, Schema

#: upb refuses to parse a message nested past 100 levels (measured: 100 parse, 101 do not;
#: not configurable from Python). The default depth limit is its, for every format.
UPB_MAX_DEPTH = 100
DEFAULT_MAX_DEPTH = UPB_MAX_DEPTH
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

#: What one kind of field adds below the message holding it, as (wrap, item): ``wrap`` when
#: the field is there at all (JSON's array or object around a list or map, even an empty
#: one), ``item`` for each value in it (a message, a map entry, an element of its own).
Counts = Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class Nesting:
    """How one format's reader counts nesting, and the deepest its library reads.

    The kinds of field in ``counts``: ``message``, ``messages`` (a list of them),
    ``message_map``, ``leaf``, ``leaves``, ``leaf_map``, and ``timestamp``, ``timestamps``,
    ``timestamp_map`` (a timestamp is a message in Protobuf), and ``duration``, ``durations``,
    ``duration_map`` alike. ``attribute``, when given,
    counts any field the schema puts in an XML attribute instead.
    """

    unit: str  # what is counted: "levels", "elements", "arrays and objects"
    root: int  # what the record itself takes: its object or element
    counts: Counts
    attribute: tuple[int, int] | None = None
    reader: str = ""  # who stops past ``cap``: "Protobuf readers (upb)"
    cap: int = 0

    def too_deep(self, depth: int) -> str:
        return f"nested {depth:,} {self.unit} deep: {self.reader} stop at {self.cap:,}"


#: Depth as Protobuf counts it, which ``--max-depth`` bounds in every format: every message
#: below the record is one level, and so is every map entry (a map is a repeated entry
#: message) and every timestamp or duration (a ``google.protobuf.Timestamp`` or ``Duration``
#: message).
PROTOBUF = Nesting(
    unit="levels",
    root=0,
    counts={
        "message": (0, 1),
        "messages": (0, 1),
        "message_map": (0, 2),
        "leaf": (0, 0),
        "leaves": (0, 0),
        "leaf_map": (0, 1),
        "timestamp": (0, 1),
        "timestamps": (0, 1),
        "timestamp_map": (0, 2),
        "duration": (0, 1),
        "durations": (0, 1),
        "duration_map": (0, 2),
    },
)
#: A dict per message, a list per list, a dict per map (JSON, MessagePack): a list or map
#: is a container of its own even when empty, and a message in it one more.
TREE_COUNTS: Counts = {
    "message": (0, 1),
    "messages": (1, 1),
    "message_map": (1, 1),
    "leaf": (0, 0),
    "leaves": (1, 0),
    "leaf_map": (1, 0),
    "timestamp": (0, 0),
    "timestamps": (1, 0),
    "timestamp_map": (1, 0),
    "duration": (0, 0),
    "durations": (1, 0),
    "duration_map": (1, 0),
}
#: MessagePack writes a duration as an array of two integers: one container more.
MSGPACK_COUNTS: Counts = {
    **TREE_COUNTS,
    "duration": (0, 1),
    "durations": (1, 1),
    "duration_map": (1, 1),
}
#: What Protobuf's readers parse, whatever ``--max-depth`` allows.
UPB = dataclasses.replace(PROTOBUF, reader="Protobuf readers (upb)", cap=UPB_MAX_DEPTH)
#: Levels each kind of field takes as Protobuf counts them (see ``bound``).
_LEVELS = {kind: item for kind, (_, item) in PROTOBUF.counts.items()}
_MESSAGES = ("message", "messages", "message_map")
_PLURAL = {
    "message": "messages",
    "leaf": "leaves",
    "timestamp": "timestamps",
    "duration": "durations",
}


def _kind(f: Field) -> tuple[str, str, str]:
    """A field's kind in ``Nesting.counts``, how the walk reaches its values (one, list,
    map) and the message they are, or ""."""
    t = f.type
    inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
    name = inner.name if isinstance(inner, MessageRef) else ""
    base = "message" if name else "leaf"
    if isinstance(inner, Scalar) and inner.kind in ("timestamp", "duration"):
        base = inner.kind
    if isinstance(t, ListOf):
        return _PLURAL[base], "list", name
    if isinstance(t, MapOf):
        return base + "_map", "map", name
    return base, "one", name


def field_levels(f: Field) -> tuple[str, int, str]:
    """How a field's values are reached (one, list, map), the levels each takes below its
    message as ``--max-depth`` counts them (``PROTOBUF``), and the message they are, or ""."""
    kind, how, inner = _kind(f)
    return how, PROTOBUF.counts[kind][1], inner


#: One field of a message's plan: its name, how its values are reached, wrap, item, message.
_Step = tuple[str, str, int, int, str]


def _plans(schema: Schema, nesting: Nesting) -> dict[str, list[_Step]]:
    """Per message, the fields that add to the nesting as ``nesting`` counts it."""
    plans: dict[str, list[_Step]] = {}
    for name, msg in schema.messages.items():
        steps: list[_Step] = []
        for f in msg.fields:
            kind, how, inner = _kind(f)
            own = nesting.attribute if f.xml_attribute else None
            wrap, item = nesting.counts[kind] if own is None else own
            if wrap or item:
                steps.append((f.name, how, wrap, item, inner))
        plans[name] = steps
    return plans


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


def static_depth(schema: Schema, root: str, nesting: Nesting = PROTOBUF) -> int | None:
    """The deepest any record of ``root`` can nest as ``nesting`` counts it (the record's
    own ``root`` included), or None if unbounded."""
    plans = _plans(schema, nesting)

    def edges(name: str) -> list[tuple[int, str | None]]:
        return [(wrap + item, inner or None) for _, _, wrap, item, inner in plans[name]]

    deepest = longest_path(root, edges)
    return None if deepest is None else nesting.root + deepest


def forced_depth(schema: Schema, root: str) -> int:
    """The nesting every record of ``root`` has, whatever its values: a non-optional
    message field always holds a message, and a non-optional timestamp a Timestamp (lists
    and maps may be empty). Required cycles are refused by the loader, so this is finite."""

    def edges(name: str) -> list[tuple[int, str | None]]:
        out: list[tuple[int, str | None]] = []
        for f in schema.messages[name].fields:
            if not f.optional and isinstance(f.type, MessageRef):
                out.append((1, f.type.name))
            elif (
                not f.optional
                and isinstance(f.type, Scalar)
                and f.type.kind in ("timestamp", "duration")
            ):
                out.append((1, None))
        return out

    depth = longest_path(root, edges)
    assert depth is not None, "a required cycle passed the loader"
    return depth


def bound(nesting: Nesting, levels: int) -> int:
    """The deepest a record within ``levels`` as Protobuf counts them can nest as
    ``nesting`` counts it: the most one Protobuf level adds, on every level, then the most
    a last field adds with the levels left to it."""
    per_level = max(-(-sum(nesting.counts[k]) // _LEVELS[k]) for k in _MESSAGES)
    last = [per_level * levels]
    for kind, counts in nesting.counts.items():
        if kind not in _MESSAGES and _LEVELS[kind] <= levels:
            last.append(per_level * (levels - _LEVELS[kind]) + sum(counts))
    if nesting.attribute is not None:
        last.append(per_level * levels + sum(nesting.attribute))
    return nesting.root + max(last)


def nesting_check(
    schema: Schema,
    root: str,
    nesting: Nesting,
    *,
    cap: int,
    too_deep: Callable[[int], str],
    within: int | None = None,
    extra: int = 0,
) -> DepthCheck | None:
    """A check that one canonical record nests at most ``cap`` deep as ``nesting`` counts
    it, raising LimitError(``too_deep(depth)``) with the path; None when no record can nest
    deeper: by the schema, or for records already within ``within`` Protobuf levels.
    ``extra``: what a file form puts around each record (a JSON array, an XML wrapper)."""
    deepest = static_depth(schema, root, nesting)
    if within is not None:
        most = bound(nesting, within)
        deepest = most if deepest is None else min(deepest, most)
    if deepest is not None and deepest + extra <= cap:
        return None
    top = nesting.root + extra
    plans = _plans(schema, nesting)
    # Fields ending in leaves can only pass the cap from a message this close to it: the
    # others are not looked at (most records are far from the cap).
    reach = {
        name: max((w + i for _, _, w, i, m in steps if not m), default=0)
        for name, steps in plans.items()
    }
    messages = {name: [s for s in steps if s[4]] for name, steps in plans.items()}
    leaves = {name: [s for s in steps if not s[4]] for name, steps in plans.items()}

    def check(record: Any) -> None:
        # Iterative, so that a record too deep for Python's stack is still measured. Each
        # entry: (value, message, depth, parent entry, path segments to it from the parent);
        # what lies past the last message (a leaf, an empty list) has no message.
        stack: list[tuple[Any, str, int, Any, tuple[str | int, ...]]] = [
            (record, root, top, None, ())
        ]
        while stack:
            entry = stack.pop()
            value, name, depth, _, _ = entry
            if depth > cap:
                raise LimitError(too_deep(depth), path=_path(entry))
            if type(value) is not dict or not name:
                continue  # not a message: the codec names that problem
            for field, how, wrap, item, inner in messages[name]:
                x = value.get(field)
                if how == "one":
                    if type(x) is dict:
                        stack.append((x, inner, depth + item, entry, (field,)))
                elif not x:
                    if depth + wrap > cap and type(x) in (list, dict):  # JSON's empty [] or {}
                        stack.append((None, "", depth + wrap, entry, (field,)))
                elif type(x) is list:
                    for i, v in enumerate(x):
                        stack.append((v, inner, depth + wrap + item, entry, (field, i)))
                elif type(x) is dict:
                    for k, v in x.items():
                        seg = key_segment(k)
                        stack.append((v, inner, depth + wrap + item, entry, (field, seg)))
            if depth + reach[name] > cap:
                for step in leaves[name]:
                    past = _past_leaves(value, step, depth)
                    if past is not None and past[0] > cap:
                        stack.append((None, "", past[0], entry, past[1]))

    return check


def _past_leaves(
    message: dict[str, Any], step: _Step, depth: int
) -> tuple[int, tuple[str | int, ...]] | None:
    """How deep a field of leaves stands in ``message`` (at ``depth``), and its path."""
    field, how, wrap, item, _ = step
    x = message.get(field)
    if x is None:
        return None  # absent (None is not canonical: the codec says so)
    if how == "one":
        return depth + item, (field,)
    if type(x) is list and x:
        return depth + wrap + item, (field, 0)  # its leaves all stand as deep: the first
    if type(x) is dict and x:
        return depth + wrap + item, (field, key_segment(next(iter(x))))
    return (depth + wrap, (field,)) if type(x) in (list, dict) else None


def depth_check(
    schema: Schema, root: str, max_depth: int, within: int | None = None
) -> DepthCheck | None:
    """A check of one canonical record's nesting against ``--max-depth``, or None when no
    record can exceed it: by the schema, or for records already within ``within`` Protobuf
    levels (what a parser refusing deeper input has read).

    A record type whose every record nests past ``max_depth`` is a schema error here,
    before any record is read: no record of it could ever be written or read.
    """
    least = forced_depth(schema, root)
    if least > max_depth:
        raise SchemaError(
            f"every record of {root} nests at least {least} levels (its required message"
            f", timestamp and duration fields), over the limit of {max_depth} (--max-depth): no record"
            " of it could be written or read; make a field on that chain optional"
        )

    def too_deep(depth: int) -> str:
        return f"nested {depth} levels deep, over the limit of {max_depth} (--max-depth)"

    return nesting_check(schema, root, PROTOBUF, cap=max_depth, too_deep=too_deep, within=within)


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

    #: Its reads may fail part way with an error of its own: JSON Lines readers read
    #: such an input line by line, so the records before the failure come first.
    fails_part_way = True

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
