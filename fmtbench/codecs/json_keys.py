"""Duplicate object keys in JSON input are an error, found without a second parse.

orjson and msgspec keep the last of two equal keys and say nothing (RFC 8259 leaves the
meaning of duplicates open), which would drop a value silently. A full check (Python's
``json`` with ``object_pairs_hook``) costs three times the decode, so it runs only when a
cheap count cannot vouch for the input:

- every key of a canonical record came from one key of the input, so a record holds as
  many keys (fields present plus map entries, all levels) as the input had distinct ones;
- when no key is followed by white space before its colon, ``data.count(b'":')`` counts
  every key, duplicates included, plus any escaped quote followed by a colon inside a
  string (``\\":``): never fewer than the keys of the input.

So equal counts prove there is no duplicate: the input's keys are at least the count, at
most the record's (distinct) keys. Anything else (fields filled with zero values, nulls
read as absent, dropped unknown fields, ``"key" :`` spacing) takes the full check, which
names the duplicate key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fmtbench.errors import DecodeError, LimitError
from fmtbench.schema.model import FieldType, ListOf, MapOf, MessageRef, Schema

_SPACED_KEY = re.compile(rb'"[ \t\r\n]+:').search

KeyCounter = Callable[[Any], int]


def key_counter(schema: Schema) -> dict[str, KeyCounter]:
    """Per message type, a function counting the keys of a canonical record at all levels."""
    index = {name: i for i, name in enumerate(schema.messages)}
    source: list[str] = []
    for name, msg in schema.messages.items():
        body = ["    n = len(d)"]
        for f in msg.fields:
            walk = _walk(index, f.type, "x", 1)
            if not walk:
                continue
            get = f"d.get({f.name!r})" if f.optional else f"d[{f.name!r}]"
            body.append(f"    x = {get}")
            if f.optional:
                body.append("    if x is not None:")
                body += [f"        {line}" for line in walk]
            else:
                body += [f"    {line}" for line in walk]
        source.append("\n".join([f"def _k{index[name]}(d):", *body, "    return n"]))
    namespace: dict[str, Any] = {}
    # Generated from the schema model only (names appear through repr; functions numbered).
    exec("\n\n".join(source), namespace)
    return {name: namespace[f"_k{i}"] for name, i in index.items()}


def _walk(index: dict[str, int], ftype: FieldType, x: str, depth: int) -> list[str]:
    if isinstance(ftype, MessageRef):
        return [f"n += _k{index[ftype.name]}({x})"]
    if isinstance(ftype, ListOf):
        inner = _walk(index, ftype.item, f"i{depth}", depth + 1)
        return [f"for i{depth} in {x}:", *(f"    {s}" for s in inner)] if inner else []
    if isinstance(ftype, MapOf):
        inner = _walk(index, ftype.value, f"i{depth}", depth + 1)
        lines = [f"n += len({x})"]
        if inner:
            lines += [f"for i{depth} in {x}.values():", *(f"    {s}" for s in inner)]
        return lines
    return []


def unique_by_count(data: bytes, keys: int) -> bool:
    """True when ``data`` certainly has no duplicate key, given the records' key count."""
    return data.count(b'":') == keys and not _SPACED_KEY(data)


def refuse_duplicates(data: bytes, position: str | None = None) -> None:
    """The full check: raise DecodeError naming the first duplicate key, if there is one."""
    try:
        json.loads(data, object_pairs_hook=_unique_pairs)
    except _Duplicate as exc:
        raise DecodeError(
            f"duplicate key {exc.args[0]!r} in one object (a JSON reader would keep one of"
            " the values and drop the other)",
            position=position,
        ) from None
    except RecursionError:
        raise LimitError("JSON nested too deeply to check", position=position) from None
    except ValueError:
        pass  # what orjson accepted but ``json`` does not (no such case known) is not a duplicate


class _Duplicate(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return out
