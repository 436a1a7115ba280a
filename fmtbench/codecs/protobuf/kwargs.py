"""Protobuf constructor keywords from records a decoder just produced, without re-checking.

``protobuf.PROTO_RULES`` is the reference for writing: it checks every value of a record a
caller hands in (types, ranges, enum names, timestamps) and names the field that is wrong.
``convert`` hands the writer records that one of fmtbench's own decoders has just built and
checked against the same schema: canonical by construction, so checking them again costs
a microsecond a record for nothing. This module generates, per message type, a function
that only converts (timestamps to their two fields, enum names to numbers, sub-messages by
recursion) and lets upb build the message.

For canonical records the bytes are the reference's (a differential property test holds it
to that). It never raises an error of its own: whatever it raises (a KeyError for an unknown
enum name, upb's TypeError or ValueError, the ValueError below for a None, which upb would
read as "not set") makes the caller encode the same record on the reference path, which
raises today's error with its path. Where upb is more lenient than the reference (a bool for
an integer, say) a record that is not canonical may be written: which is why only
``convert``, whose records all come from a decoder, uses it. Only schemas that cannot nest without bound
take this path (the depth check of recursive ones lives on the reference path).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import repeat
from operator import add, attrgetter, mul, sub
from typing import Any

import msgspec

from fmtbench.codecs.protobuf.frames import delimit_all, items
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.leaves import duration_parts, timestamp_parts
from fmtbench.schema.model import (
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    reachable_messages,
)
from fmtbench.schema.values import EPOCH

Kwargs = Callable[[dict[str, Any]], dict[str, Any]]


def _timestamp(v: datetime) -> dict[str, int]:
    seconds, nanos = timestamp_parts(v)
    return {"seconds": seconds, "nanos": nanos}


def _duration(v: timedelta) -> dict[str, int]:
    seconds, nanos = duration_parts(v)
    return {"seconds": seconds, "nanos": nanos}


def _decimal(v: Decimal) -> str:
    return format(v, "f")  # canonical already: quantized to its scale, finite, fits


_WELL_KNOWN = {"timestamp": "_ts", "duration": "_du", "decimal": "_dc"}


class _Generator:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        # Functions and enum tables by position: no schema text becomes code except through
        # ``repr`` of field names.
        self.funcs = {name: f"_m{i}" for i, name in enumerate(schema.messages)}
        self.enums = {name: f"_e{i}" for i, name in enumerate(schema.enums)}
        self.namespace: dict[str, Any] = {"_ts": _timestamp, "_du": _duration, "_dc": _decimal}
        for name, enum in schema.enums.items():
            self.namespace[self.enums[name]] = dict(enum.values)

    def bind(self, obj: object) -> str:
        name = f"_g{len(self.namespace)}"
        self.namespace[name] = obj
        return name

    def value(self, ftype: FieldType, x: str) -> str:
        """An expression turning ``x`` (canonical) into what upb's constructor takes."""
        if isinstance(ftype, Scalar):
            func = _WELL_KNOWN.get(ftype.kind)
            return f"{func}({x})" if func else x
        if isinstance(ftype, EnumRef):
            return f"{self.enums[ftype.name]}[{x}]"
        if isinstance(ftype, MessageRef):
            return f"{self.funcs[ftype.name]}({x})"
        if isinstance(ftype, ListOf):
            item = self.value(ftype.item, "i")
            return x if item == "i" else f"[{item} for i in {x}]"
        if isinstance(ftype, MapOf):
            value = self.value(ftype.value, "v")
            return x if value == "v" else f"{{k: {value} for k, v in {x}.items()}}"
        raise AssertionError(ftype)

    def function(self, name: str) -> str:
        fields: list[Field] = list(self.schema.messages[name].fields)
        shown = [
            f"{f.name!r}: {self.value(f.type, f'd[{f.name!r}]')}" for f in fields if not f.optional
        ]
        lines = [f"def {self.funcs[name]}(d):", f"    k = {{{', '.join(shown)}}}"]
        for f in fields:
            if f.optional:  # absent when the key is; a None value is the reference's error
                key = repr(f.name)
                value = self.value(f.type, f"d[{key}]")
                if f.wrapper:  # the well-known wrapper message: its one field
                    value = f"{{'value': {value}}} if d[{key}] is not None else None"
                lines.append(f"    if {key} in d: k[{key}] = {value}")
        if fields:  # upb reads a None keyword as "not set": the reference calls it an error
            lines.append("    if None in k.values(): raise ValueError")
        two_set = oneof.two_set_test(self.schema.messages[name], "k", self.bind)
        if two_set is not None:  # upb keeps the last of two members: the reference refuses
            lines.append(f"    if {two_set}: raise ValueError")
        lines.append("    return k")
        return "\n".join(lines)


def compile_kwargs(schema: Schema, root: str) -> Kwargs:
    """The keyword builder of ``root`` records, generated from the schema once."""
    gen = _Generator(schema)
    source = "\n\n".join(gen.function(name) for name in schema.messages)
    # Generated from the schema model only (see _Generator), so the text is as trustworthy
    # as this module.
    exec(source, gen.namespace)
    return gen.namespace[gen.funcs[root]]  # type: ignore[no-any-return]


#: What ``to_builtins`` hands over as it is: upb takes bytes.
_KEPT = (bytes,)
_DAY = 86400


class Seconds(msgspec.Struct, gc=False):
    """A Timestamp's keywords: ``to_builtins`` makes it their dict, in C (20 times as fast
    as building the dicts in Python, measured)."""

    seconds: int
    nanos: int


def timestamp_fields(stamps: list[datetime]) -> list[Seconds]:
    """``_timestamp`` of many datetimes, its arithmetic (``timestamp_parts``) in C loops:
    upb's own conversion of a datetime runs in Python, at several times the cost."""
    deltas = list(map(sub, stamps, repeat(EPOCH)))
    days = map(mul, map(attrgetter("days"), deltas), repeat(_DAY))
    seconds = map(add, days, map(attrgetter("seconds"), deltas))
    nanos = map(mul, map(attrgetter("microseconds"), deltas), repeat(1000))
    return list(map(Seconds, seconds, nanos))


def struct_encoder(
    schema: Schema, root: str, cls: type[Any], most: int
) -> tuple[Callable[[list[Any]], bytes | None], Callable[[list[datetime]], list[Any]]] | None:
    """Delimited messages from a JSON reader's Structs made canonical (structs/direct.py),
    with no record built: ``msgspec.to_builtins`` gives, in C, the keywords the generator
    above would (field names, absent optionals left out, sub-messages as dicts), and
    ``framer`` has upb build and frame them. The pair: that encoder, and what the Structs'
    timestamps must be made for it: their bytes for the message's shadow (shadow.py), or,
    where it has none, ``timestamp_fields``. None where a leaf would need converting:
    enums (numbers here), wrappers; the direct path itself declines durations, decimals and
    oneofs."""
    if not structs_encodable(schema, root):
        return None
    from fmtbench.codecs.protobuf.shadow import shadow_class, stamp_bytes
    from fmtbench.schema.proto import compile_classes

    shadow = shadow_class(cls, compile_classes(schema).pool)
    frame = framer(schema, root, cls if shadow is None else shadow, most)
    to_builtins = msgspec.to_builtins

    def encode(structs: list[Any]) -> bytes | None:
        return frame(to_builtins(structs, builtin_types=_KEPT))

    return encode, (timestamp_fields if shadow is None else stamp_bytes)


def structs_encodable(schema: Schema, root: str) -> bool:
    """Whether ``to_builtins`` of a JSON reader's canonical Structs of ``root`` gives upb's
    keywords: not where a leaf would need converting (enums, numbers there; wrappers)."""
    for msg in reachable_messages(schema, root):
        for f in msg.fields:
            if f.wrapper or isinstance(element_type(f.type), EnumRef):
                return False
    return True


def framer(
    schema: Schema, root: str, cls: type[Any], most: int
) -> Callable[[list[dict[str, Any]]], bytes | None]:
    """Many messages' keywords -> their delimited bytes (frames.py), or None if one of them
    is longer than ``most``; raises what upb raises. upb builds them in one call, as the
    items of one message (``_batch_class``), and serializes them at once (deterministic:
    map entries ordered, as the codec writes them)."""
    batch = _batch_class(schema, root, cls)
    if batch is None:

        def each(kwargs: list[dict[str, Any]]) -> bytes | None:
            datas = [cls(**k).SerializeToString(deterministic=True) for k in kwargs]
            return delimit_all(datas) if max(map(len, datas), default=0) <= most else None

        return each

    def at_once(kwargs: list[dict[str, Any]]) -> bytes | None:
        whole = batch(items=kwargs).SerializeToString(deterministic=True)
        datas = items(whole)
        if len(whole) > most and max(map(len, datas)) > most:
            return None
        return delimit_all(datas)

    return at_once


def _batch_class(schema: Schema, root: str, cls: type[Any]) -> Any:
    """A message class of one field, ``repeated <root> items = 1``, in the pool of
    ``root``'s class; None if the pool will not take it (then a message a call)."""
    from google.protobuf import descriptor_pb2, message_factory

    from fmtbench.schema.proto import compile_classes

    pool = compile_classes(schema).pool
    full = cls.DESCRIPTOR.full_name
    name = "fmtbench_internal_batch_" + full.replace(".", "_")  # no schema's package
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"{name}.proto", package=name, dependency=[cls.DESCRIPTOR.file.name]
    )
    proto.syntax = "proto3"
    message = proto.message_type.add(name="Batch")
    message.field.add(
        name="items",
        number=1,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        type_name=f".{full}",
    )
    try:
        try:
            pool.FindFileByName(proto.name)
        except KeyError:
            pool.Add(proto)
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{name}.Batch"))
    except Exception:  # any refusal: the records take one call each
        return None
