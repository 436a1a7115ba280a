"""Compile a schema into converters between two trees of plain Python values.

JSON, MessagePack and the canonical form itself are all "a dict per message, a list per
list, a dict per map": they differ only in how leaves are spelled (bytes as base64 text or
raw, timestamps as RFC 3339 text or extension objects, enums by name or number). So one
compiler builds the walk, once per schema, and each format supplies its leaf rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fmtbench.codecs.leaves import Conv, describe, sorted_items
from fmtbench.errors import ValueMismatch, key_segment
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import zero_factory

_MISSING = object()


@dataclass(frozen=True)
class TreeRules:
    """How one tree spells leaves, and what it does with absent fields."""

    scalar: Mapping[str, Conv]
    enum: Callable[[Enum], Conv]
    map_key: Mapping[str, Conv]
    # Decoders fill absent non-optional fields with zero values (proto3 semantics); the
    # canonical side requires them, so a forgotten field is caught on encode.
    fill_missing: bool
    # JSON ``null`` for an optional field means absent.
    null_is_absent: bool = False
    # Encoders write map entries in key order: equal records give equal bytes.
    sort_maps: bool = False


class TreeConverter:
    """Per-message converters for one schema and one set of rules, built once."""

    def __init__(self, schema: Schema, rules: TreeRules, *, drop_unknown: bool = False) -> None:
        self.schema = schema
        self.rules = rules
        self.drop_unknown = drop_unknown
        self._messages: dict[str, Conv] = {}
        self._enums: dict[str, Conv] = {}
        for name in schema.messages:
            self._messages[name] = self._compile_message(schema.messages[name])

    def message(self, name: str) -> Conv:
        return self._messages[name]

    # -- compilation -----------------------------------------------------------------
    def _compile_type(self, ftype: FieldType) -> Conv:
        if isinstance(ftype, Scalar):
            return self.rules.scalar[ftype.kind]
        if isinstance(ftype, EnumRef):
            if ftype.name not in self._enums:
                self._enums[ftype.name] = self.rules.enum(self.schema.enums[ftype.name])
            return self._enums[ftype.name]
        if isinstance(ftype, MessageRef):
            table, name = self._messages, ftype.name
            # Looked up at call time: message types may refer to each other (recursion).
            return lambda v: table[name](v)
        if isinstance(ftype, ListOf):
            return _list_conv(self._compile_type(ftype.item))
        if isinstance(ftype, MapOf):
            key, value = self.rules.map_key[ftype.key.kind], self._compile_type(ftype.value)
            return _sorted_map_conv(key, value) if self.rules.sort_maps else _map_conv(key, value)
        raise AssertionError(ftype)

    def _compile_message(self, msg: Message) -> Conv:
        plan = tuple(self._field_plan(f) for f in msg.fields)
        known = frozenset(f.name for f in msg.fields)
        check_unknown = not self.drop_unknown
        null_is_absent = self.rules.null_is_absent
        expected = f"{msg.name} (an object)"

        def conv(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise ValueMismatch(f"expected {expected}, got {describe(value)}")
            out = {}
            for name, fconv, optional, zero in plan:
                v = value.get(name, _MISSING)
                if v is _MISSING or (v is None and optional and null_is_absent):
                    if optional:
                        continue
                    if zero is None:
                        raise ValueMismatch("required field is missing").at(name)
                    out[name] = zero()
                    continue
                try:
                    out[name] = fconv(v)
                except ValueMismatch as exc:
                    raise exc.at(name) from None
            if check_unknown and not value.keys() <= known:
                extra = next(k for k in value if k not in known)
                raise ValueMismatch(
                    f"unknown field {extra!r} in {msg.name} (use --drop-unknown to discard it)"
                )
            return out

        return conv

    def _field_plan(self, f: Field) -> tuple[str, Conv, bool, Callable[[], Any] | None]:
        zero = zero_factory(self.schema, f.type) if self.rules.fill_missing else None
        return f.name, self._compile_type(f.type), f.optional, zero


def _list_conv(item: Conv) -> Conv:
    def conv(value: Any) -> list[Any]:
        if type(value) is not list and type(value) is not tuple:
            raise ValueMismatch(f"expected a list, got {describe(value)}")
        try:
            return [item(v) for v in value]
        except ValueMismatch:
            for i, v in enumerate(value):  # error path only: find which element failed
                try:
                    item(v)
                except ValueMismatch as exc:
                    raise exc.at(i) from None
            raise

    return conv


def _sorted_map_conv(key: Conv, val: Conv) -> Conv:
    unsorted = _map_conv(key, val)

    def conv(value: Any) -> Any:
        if type(value) is dict and len(value) > 1:
            value = dict(sorted_items(value))
        return unsorted(value)

    return conv


def _map_conv(key: Conv, val: Conv) -> Conv:
    def conv(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise ValueMismatch(f"expected a map, got {describe(value)}")
        try:
            return {key(k): val(v) for k, v in value.items()}
        except ValueMismatch:
            for k, v in value.items():
                try:
                    key(k)
                except ValueMismatch as exc:
                    raise ValueMismatch(f"map key: {exc.problem}").at(key_segment(k)) from None
                try:
                    val(v)
                except ValueMismatch as exc:
                    raise exc.at(key_segment(k)) from None
            raise

    return conv
