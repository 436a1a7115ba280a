"""The JSON typed reader's Structs written straight to MessagePack, with no canonical dicts.

``convert`` from JSON Lines to MessagePack builds each record's canonical dict (read.py)
only for the writer to check it back into Structs (write.py) and encode them: two Python
walks a record around the libraries' C work. Where every leaf of the reader's Structs is
already its canonical value, those Structs hold what the writer's Structs would: msgspec
encodes both alike (fields in schema order under their names, absent optionals left out,
maps in key order with ``order="deterministic"``), so their bytes are the writer's.

A leaf is canonical as read when bulk.py says so (its ``same`` kinds, float leaves proven
floats and float32-exact by its gatherer, string map keys), and for timestamps of the root
message: the text fmtbench writes (``_WRITTEN_TIMESTAMP``) parsed by ``datetime``'s own
parser, as typed.py does, and set on the Structs with C loops; likewise the root's bytes
fields, read as base64 text and decoded by the tree path's rule. Anything else (other
timestamps, durations, decimals, oneofs, recursive schemas) has no direct path here:
``compile_direct`` returns None. ``fix`` raises ``DIRECT_DECLINED`` whenever a block needs
more; the caller then takes the canonical path for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, is_not
from typing import Any

import msgspec

from fmtbench.codecs.structs.bulk import NOT_CANONICAL, _gatherer, _leaf_ok
from fmtbench.codecs.structs.read import has_cycle
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.leaves import b64_decode
from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import Scalar, Schema, reachable_messages


class _Decline(Exception):
    """A leaf the direct path does not vouch for: the block takes the canonical path."""


#: What ``fix`` raises when a block must take the canonical path.
DIRECT_DECLINED = (_Decline, NOT_CANONICAL, ValueError, ValueMismatch)


#: Turns a list of timestamps (datetimes) into what the writer takes, or None: datetimes.
Stamps = Callable[[list[Any]], list[Any]] | None


def compile_direct(
    schema: Schema,
    root: str,
    same: frozenset[str],
    all_written: Callable[[list[str]], bool],
) -> Callable[[list[Any], Stamps], None] | None:
    """A function making a list of ``root`` Structs canonical in place (their root
    timestamps parsed, then given as the writer's ``Stamps`` takes them), or raising
    ``DIRECT_DECLINED``; None where no list can be.

    ``same``: the scalar kinds whose value is canonical as read; ``all_written``: the test
    a list of timestamps' texts must pass for ``datetime.fromisoformat`` to read each as the
    typed path would."""
    if has_cycle(schema, root):
        return None
    names = [m.name for m in reachable_messages(schema, root)]
    stamps: list[tuple[str, bool]] = []  # the root's timestamp fields: (attribute, optional)
    payloads: list[tuple[str, bool]] = []  # the root's bytes fields, read as base64 text
    for name in names:
        msg = schema.messages[name]
        if oneof.groups(msg):
            return None
        for i, f in enumerate(msg.fields):
            if name == root and isinstance(f.type, Scalar) and f.type.kind == "timestamp":
                stamps.append((f"f{i}", f.optional))
            elif name == root and isinstance(f.type, Scalar) and f.type.kind == "bytes":
                payloads.append((f"f{i}", f.optional))
            elif not _leaf_ok(f.type, same, frozenset({"string"})):
                return None
    floats = _gatherer(schema, root, names, many=True)  # one check for the whole list
    fixes = [_stamp_fix(attr, optional, all_written) for attr, optional in stamps]
    fixes += [_bytes_fix(attr, optional) for attr, optional in payloads]

    def fix(structs: list[Any], stamps: Stamps) -> None:
        if floats is not None:
            floats(structs)
        for one in fixes:
            one(structs, stamps)

    return fix


_SET = partial(is_not, msgspec.UNSET)


def _bytes_fix(attr: str, optional: bool) -> Callable[[list[Any], Stamps], None]:
    """Base64 text to bytes by the tree path's rule (canonical text only; anything else
    raises ValueMismatch: declined, and the canonical path names it)."""
    get = attrgetter(attr)

    def fix(structs: list[Any], stamps: Stamps) -> None:
        if optional:
            structs = list(compress(structs, map(_SET, map(get, structs))))
        values = map(b64_decode, map(get, structs))
        list(map(setattr, structs, repeat(attr), values))

    return fix


def _stamp_fix(
    attr: str, optional: bool, all_written: Callable[[list[str]], bool]
) -> Callable[[list[Any], Stamps], None]:
    get = attrgetter(attr)

    def fix(structs: list[Any], stamps: Stamps) -> None:
        if optional:
            structs = list(compress(structs, map(_SET, map(get, structs))))
        texts = list(map(get, structs))
        if not all_written(texts):
            raise _Decline  # nanoseconds, offsets...: the typed path's own rule reads them
        # A bad date (February 30) raises ValueError: declined, and the canonical path
        # names it.
        values: Any = map(datetime.fromisoformat, texts)
        if stamps is not None:
            values = stamps(list(values))
        list(map(setattr, structs, repeat(attr), values))

    return fix
