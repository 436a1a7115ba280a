"""Duplicate object keys in JSON input are an error, found without a second parse.

orjson and msgspec keep the last of two equal keys and say nothing (RFC 8259 leaves the
meaning of duplicates open), which would drop a value silently. A full check (Python's
``json`` with ``object_pairs_hook``) costs three times the decode, so it runs only when one
of two cheap counts cannot vouch for the input. Both rest on one fact about records read by
the typed path (structs/read.py): every key and every text leaf of the record came from its own
string in the input, and nothing else did, unless a duplicate key dropped one.

- Quotes: in JSON without a backslash, every ``"`` opens or closes a string, so
  ``data.count(b'"')`` is twice the input's strings: keys and string values. Each key of the
  record, and each string, bytes, timestamp or enum value, is one of them; a duplicate key
  leaves at least its own string unaccounted for. So twice the record's count equal to the
  quotes proves there is none. Two passes of a single byte, at any spacing.
- Keys (when there are backslashes): when no key is followed by white space before its colon,
  ``data.count(b'":')`` counts every key, duplicates included, plus any escaped quote
  followed by a colon inside a string (``\\":``): never fewer than the keys of the input. So
  a count equal to the record's (distinct) keys proves there is no duplicate.

- Write-back (recursive schemas, where the counts walk every node): the record's Structs
  written back by msgspec, when they are the input itself (fmtbench's own output always
  is), prove it: those bytes hold no duplicate key. The codec tries it first.

Anything else (fields filled with zero values, nulls read as absent, dropped unknown fields,
``"NaN"`` read as a float, ``"key" :`` spacing with backslashes) takes the full check, which
names the duplicate key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import msgspec

from fmtbench.codecs.sparse import count_sparse
from fmtbench.errors import DecodeError, LimitError, format_path
from fmtbench.schema.model import EnumRef, FieldType, ListOf, MapOf, MessageRef, Scalar, Schema

_SPACED_KEY = re.compile(rb'"[ \t\r\n]+:').search

Counter = Callable[[Any], int]

#: Past this size ``quotes`` counts by ``find`` (codecs/sparse.py): a record of a few
#: large strings (a base64 payload) has few quotes over many bytes.
_SPARSE_FROM = 8192


def quotes(data: bytes) -> int:
    """``data.count(b'"')``, fast on large inputs whose quotes are few."""
    if len(data) < _SPARSE_FROM:
        return data.count(b'"')
    return count_sparse(data, b'"')


class KeyProof:
    """The cheap proofs (see above) for one record type: counters compiled once."""

    def __init__(self, schema: Schema, root: str) -> None:
        self._keys = _counters(schema, strings=False)[root]
        #: A record's keys and text leaves: half the quotes of the input it was read from.
        self.strings = _counters(schema, strings=True)[root]
        # The same counts of the typed reader's Structs (structs/read.py: field ``i`` is
        # attribute ``f{i}``, an absent optional UNSET, a missing required field refused):
        # where no record is built, they spare the plain form ``to_builtins`` would make.
        self._struct_keys = _bulk(schema, root, strings=False) or _summed(
            _counters(schema, strings=False, structs=True)[root]
        )
        self._struct_strings = _bulk(schema, root, strings=True) or _summed(
            _counters(schema, strings=True, structs=True)[root]
        )

    def unique(self, data: bytes, record: Any) -> bool:
        """True when ``data``, read as ``record``, certainly has no duplicate key."""
        return self.unique_all(data, [record])

    def unique_all(self, data: bytes, records: list[Any]) -> bool:
        """The same for ``data`` read as several records (a JSON array, lines)."""
        if b"\\" not in data and quotes(data) == 2 * sum(map(self.strings, records)):
            return True
        return self.by_keys(data, records)

    def by_keys(self, data: bytes, records: list[Any]) -> bool:
        """The second proof alone: for a caller that has tried the quote count itself."""
        return data.count(b'":') == sum(map(self._keys, records)) and not _SPACED_KEY(data)

    def unique_structs(self, data: bytes, structs: list[Any]) -> bool:
        """``unique_all`` for ``data`` read as the typed reader's Structs."""
        if b"\\" not in data and quotes(data) == 2 * self._struct_strings(structs):
            return True
        count = self._struct_keys(structs)
        return data.count(b'":') == count and not _SPACED_KEY(data)


_TEXT_KINDS = frozenset({"string", "bytes", "timestamp", "duration"})


def _is_text(ftype: FieldType) -> bool:
    """Whether the typed path reads this leaf from a JSON string, and only from one."""
    return isinstance(ftype, EnumRef) or (isinstance(ftype, Scalar) and ftype.kind in _TEXT_KINDS)


def _counters(schema: Schema, *, strings: bool, structs: bool = False) -> dict[str, Counter]:
    """Per message type, a function counting a record's keys at all levels, and its text
    leaves too when ``strings``; of the typed reader's Structs when ``structs``."""
    index = {name: i for i, name in enumerate(schema.messages)}
    source: list[str] = []
    for name, msg in schema.messages.items():
        body: list[str] = []
        # The keys and text leaves every record of the type has: counted once, here.
        constant = sum(not f.optional for f in msg.fields) if structs else 0
        for i, f in enumerate(msg.fields):
            if structs and f.optional:
                body.append(f"    if d.f{i} is not UNSET: n += 1")  # its key
            walk = _walk(index, f.type, "x", 1, strings)
            if not walk:
                continue
            if walk == ["n += 1"]:
                if not f.optional:
                    constant += 1
                elif structs:
                    body.append(f"    if d.f{i} is not UNSET: n += 1")
                else:
                    body.append(f"    if {f.name!r} in d: n += 1")
                continue
            if structs:
                body.append(f"    x = d.f{i}")
            else:
                body.append(
                    f"    x = d.get({f.name!r})" if f.optional else f"    x = d[{f.name!r}]"
                )
            if f.optional:
                body.append(f"    if x is not {'UNSET' if structs else 'None'}:")
                body += [f"        {line}" for line in walk]
            else:
                body += [f"    {line}" for line in walk]
        if structs:
            head = f"    n = {constant}"
        else:
            head = f"    n = len(d) + {constant}" if constant else "    n = len(d)"
        source.append("\n".join([f"def _k{index[name]}(d):", head, *body, "    return n"]))
    namespace: dict[str, Any] = {"UNSET": msgspec.UNSET}
    # Generated from the schema model only (names appear through repr; functions numbered).
    exec("\n\n".join(source), namespace)
    return {name: namespace[f"_k{i}"] for name, i in index.items()}


def _summed(count: Counter) -> Callable[[list[Any]], int]:
    return lambda structs: sum(map(count, structs))


def _bulk(schema: Schema, root: str, *, strings: bool) -> Callable[[list[Any]], int] | None:
    """What ``_counters(..., structs=True)`` counts of many Structs at once, in C loops,
    where ``root`` holds no message, list or map: a constant a record, and one or two (its
    key, its text) for each optional field set. None for other types."""
    index = {name: i for i, name in enumerate(schema.messages)}
    constant, optional = 0, []
    for i, f in enumerate(schema.messages[root].fields):
        walk = _walk(index, f.type, "x", 1, strings)
        if walk not in ([], ["n += 1"]):
            return None
        weight = 1 + len(walk)  # its key, and its text
        if f.optional:
            optional.append((attrgetter(f"f{i}"), weight))
        else:
            constant += weight

    def count(structs: list[Any]) -> int:
        n = constant * len(structs)
        for get, weight in optional:
            n += weight * (len(structs) - list(map(get, structs)).count(msgspec.UNSET))
        return n

    return count


def _walk(index: dict[str, int], ftype: FieldType, x: str, depth: int, strings: bool) -> list[str]:
    """Statements adding to ``n`` what the value ``x`` of type ``ftype`` holds."""
    if isinstance(ftype, MessageRef):
        return [f"n += _k{index[ftype.name]}({x})"]
    if strings and _is_text(ftype):
        return ["n += 1"]
    if isinstance(ftype, ListOf):
        if strings and _is_text(ftype.item):
            return [f"n += len({x})"]
        inner = _walk(index, ftype.item, f"i{depth}", depth + 1, strings)
        return [f"for i{depth} in {x}:", *(f"    {s}" for s in inner)] if inner else []
    if isinstance(ftype, MapOf):
        lines = [f"n += len({x})"]  # the keys
        if strings and _is_text(ftype.value):
            return [f"n += 2 * len({x})"]
        inner = _walk(index, ftype.value, f"i{depth}", depth + 1, strings)
        if inner:
            lines += [f"for i{depth} in {x}.values():", *(f"    {s}" for s in inner)]
        return lines
    return []


def refuse_duplicates(data: bytes, position: str | None = None) -> None:
    """The full check: raise DecodeError naming the first duplicate key, the object that
    holds it (its path) and, in a file holding an array, the record, if there is one."""
    try:
        tree = json.loads(data, object_pairs_hook=_marking_pairs)
    except RecursionError:
        raise LimitError("JSON nested too deeply to check", position=position) from None
    except ValueError:
        return  # what orjson accepted but ``json`` does not (no such case known) is not a duplicate
    found = _first_marked(tree, ())
    if found is None:
        return
    key, path = found
    record = None
    if isinstance(tree, list) and path:  # a file of records: the first step is the record
        record, path = int(path[0]) + 1, path[1:]
    raise DecodeError(
        f"duplicate key {key!r} in one object (a JSON reader would keep one of the values"
        " and drop the other)",
        path=format_path(path),
        position=position,
        record=record,
    )


class _Marked(dict[str, Any]):
    """An object in which ``duplicate`` was seen twice (the last value kept)."""

    duplicate: str


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    for k, _ in pairs:
        if k in seen:
            marked = _Marked(out)
            marked.duplicate = k
            return marked
        seen.add(k)
    raise AssertionError("a shorter dict without a repeated key")


def _first_marked(
    tree: Any, path: tuple[str | int, ...]
) -> tuple[str, tuple[str | int, ...]] | None:
    """The first marked object in document order, and its path (recursion is bounded: the
    tree was built by ``json``, which recurses as deep)."""
    if isinstance(tree, _Marked):
        return tree.duplicate, path
    if isinstance(tree, dict):
        items: Any = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return None
    for k, v in items:
        seg: str | int = k if isinstance(k, int) or _NAME.fullmatch(k) else f"[{json.dumps(k)}]"
        if (found := _first_marked(v, (*path, seg))) is not None:
            return found
    return None


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
