"""The record generator: seeded, lazy streams of valid canonical records of any schema.

Determinism: every field has its own ``random.Random``, seeded from the text
``"{seed}/{Message.field}"`` (a string seed is hashed with SHA-512 by ``random``, never with
``hash()``, so PYTHONHASHSEED plays no part). A field's values therefore depend only on the
seed and that field's own hints: hinting one field leaves every other field's data as it
was. Nothing reads the clock, the environment, or the iteration order of a set.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fmtbench.codecs.base import Record
from fmtbench.errors import UsageError
from fmtbench.generate.hints import HintError, Pair
from fmtbench.generate.plan import FieldSpec, ListSpec, MapSpec, MessageSpec, plan_schema
from fmtbench.generate.values import Binder, leaf_binder
from fmtbench.generate.vocab import below
from fmtbench.schema.model import Oneof, Schema

_ABSENT: Any = object()
FieldMake = Callable[[int], Any]  # depth of the enclosing message -> value or _ABSENT


@dataclass(frozen=True)
class _Compiled:
    """One field, compiled once per generator: specs turned into binders."""

    spec: FieldSpec
    value: Binder | None  # leaf values, list items, map values; None for messages
    key: Binder | None  # map keys
    message: str | None  # the message type of the value, items or map values


class RecordGenerator:
    """Records of ``type_name`` (default: the schema's root), ``seed``-determined.

    ``hints`` maps ``Message.field`` to hint mappings (docs/datasets.md); beyond
    ``max_depth`` levels of nesting, optional message fields are absent and lists and maps
    of messages empty, which bounds recursive types.
    """

    def __init__(
        self,
        schema: Schema,
        type_name: str | None = None,
        *,
        hints: Mapping[str, Mapping[str, Any]] | None = None,
        seed: int = 0,
        max_depth: int = 3,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise UsageError(f"seed must be a whole number, got {seed!r}")
        if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
            raise HintError(f"max_depth must be a whole number >= 0, got {max_depth!r}")
        self.schema = schema
        self.type_name = schema.message(type_name).name
        self.seed = seed
        self.max_depth = max_depth
        plan = plan_schema(schema, hints, self.type_name)
        self._fields = {
            name: tuple(self._compile(f) for f in specs) for name, specs in plan.items()
        }

    def _compile(self, f: FieldSpec) -> _Compiled:
        vocab_seed = f"{self.seed}/{f.path}#vocab"
        v = f.value
        if isinstance(v, MessageSpec):
            return _Compiled(f, None, None, v.name)
        if isinstance(v, ListSpec | MapSpec):
            element = v.item if isinstance(v, ListSpec) else v.value
            key = leaf_binder(v.key, vocab_seed + "-key") if isinstance(v, MapSpec) else None
            if isinstance(element, MessageSpec):
                return _Compiled(f, None, key, element.name)
            return _Compiled(f, leaf_binder(element, vocab_seed), key, None)
        return _Compiled(f, leaf_binder(v, vocab_seed), None, None)

    def records(self, n: int) -> Iterator[Record]:
        """The first ``n`` records; each call starts again from the seed (a prefix is stable)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise UsageError(f"the number of records must be a whole number >= 0, got {n!r}")
        return self._stream(n)

    def _stream(self, n: int) -> Iterator[Record]:
        make = _Run(self).message(self.type_name)
        for _ in range(n):
            yield make(0)


class _Run:
    """The state of one stream: random sources, sequence counters, clocks."""

    def __init__(self, gen: RecordGenerator) -> None:
        self.fields = gen._fields
        self.schema = gen.schema
        self.seed = gen.seed
        self.max_depth = gen.max_depth
        self.messages: dict[str, Callable[[int], Record]] = {}

    def rng(self, path: str, role: str = "") -> random.Random:
        return random.Random(f"{self.seed}/{path}{role}")

    def message(self, name: str) -> Callable[[int], Record]:
        if name in self.messages:
            return self.messages[name]
        makers: list[tuple[str, FieldMake]] = []

        def make(depth: int) -> Record:
            out: Record = {}
            for field_name, field_make in makers:
                value = field_make(depth)
                if value is not _ABSENT:
                    out[field_name] = value
            return out

        oneofs = self.schema.messages[name].oneofs
        if oneofs:
            return self._with_oneofs(name, oneofs)
        # Registered before its fields are bound, so that a recursive type finds itself.
        self.messages[name] = make
        makers.extend((c.spec.name, self.field(c)) for c in self.fields[name])
        return make

    def _with_oneofs(self, name: str, oneofs: tuple[Oneof, ...]) -> Callable[[int], Record]:
        """A message with unions: each group sets one member or none (``_oneof``), where
        its first member stands; the other fields as ``message`` makes them."""
        makers: list[tuple[str | None, Callable[[int], Any]]] = []

        def make(depth: int) -> Record:
            out: Record = {}
            for field_name, field_make in makers:
                value = field_make(depth)
                if value is _ABSENT:
                    continue
                if field_name is None:  # a group: (member, value)
                    out[value[0]] = value[1]
                else:
                    out[field_name] = value
            return out

        self.messages[name] = make
        group_of = {m: g for g in oneofs for m in g.members}
        compiled = {c.spec.name: c for c in self.fields[name]}
        for c in self.fields[name]:
            group = group_of.get(c.spec.name)
            if group is None:
                makers.append((c.spec.name, self.field(c)))
            elif c.spec.name == group.members[0]:
                members = [compiled[m] for m in group.members]
                makers.append((None, self._oneof(f"{name}.{group.name}", members)))
        return make

    def _oneof(self, path: str, members: list[_Compiled]) -> Callable[[int], Any]:
        """One member or none: the group is set with its members' highest presence, and
        the member drawn in proportion to each one's presence (``presence`` hints weigh)."""
        weights = [c.spec.presence or 0.0 for c in members]
        p, total = max(weights), sum(weights)
        coin = self.rng(path, "#oneof").random
        limit = self.max_depth
        # Members that can be drawn (presence above 0), the last one taking any rounding.
        entries = [
            (c.spec.name, self.element(c, self.rng(c.spec.path)), c.message is not None, w)
            for c, w in zip(members, weights, strict=True)
            if w > 0.0
        ]

        def choose(depth: int) -> Any:
            if not entries or coin() >= p:
                return _ABSENT
            r = coin() * total
            for member, item, nested, w in entries:
                r -= w
                if r < 0 or member == entries[-1][0]:
                    if nested and depth + 1 > limit:
                        return _ABSENT
                    return member, item(depth)
            return _ABSENT

        return choose

    def element(self, c: _Compiled, rng: random.Random) -> FieldMake:
        """The maker of one value, list item or map value (given the enclosing depth)."""
        if c.message is not None:
            sub = self.message(c.message)
            return lambda depth: sub(depth + 1)
        assert c.value is not None
        make = c.value(rng)
        return lambda depth: make()

    def field(self, c: _Compiled) -> FieldMake:
        spec, path = c.spec, c.spec.path
        item = self.element(c, self.rng(path))
        v = spec.value
        nested = c.message is not None
        limit = self.max_depth
        if isinstance(v, ListSpec):
            return _list(item, v.length, self.rng(path, "#len"), nested, limit)
        if isinstance(v, MapSpec):
            assert c.key is not None
            key = c.key(self.rng(path, "#key"))
            return _map(key, item, v.length, self.rng(path, "#len"), nested, limit)
        if spec.presence is None:
            return item
        p, coin = spec.presence, self.rng(path, "#presence").random

        def optional(depth: int) -> Any:
            if coin() >= p or (nested and depth + 1 > limit):
                return _ABSENT
            return item(depth)

        return optional


def _list(item: FieldMake, span: Pair, rng: random.Random, nested: bool, limit: int) -> FieldMake:
    lo, width = span[0], span[1] - span[0] + 1

    def make(depth: int) -> list[Any]:
        n = lo + below(rng, width)
        if nested and depth + 1 > limit:
            return []
        return [item(depth) for _ in range(n)]

    return make


def _map(
    key: Callable[[], Any],
    value: FieldMake,
    span: Pair,
    rng: random.Random,
    nested: bool,
    limit: int,
) -> FieldMake:
    lo, width = span[0], span[1] - span[0] + 1

    def make(depth: int) -> dict[Any, Any]:
        n = lo + below(rng, width)
        out: dict[Any, Any] = {}
        if nested and depth + 1 > limit:
            return out
        # Keys must be distinct; a small key space (bool, a short list) may hold fewer.
        tries = 4 * n + 8
        while len(out) < n and tries:
            k = key()
            if k not in out:
                out[k] = value(depth)
            tries -= 1
        return out

    return make
