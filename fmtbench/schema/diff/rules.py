"""Each format's rules applied to each change, and the per-format verdict.

Formats are judged by family, each following its own rules as fmtbench's codecs apply them:

- protobuf (protobuf, protobuf-delimited): the Protobuf language guide's "Updating a message
  type": tags are identity, names are free on the binary wire; fmtbench's reader refuses an
  unknown tag unless ``--drop-unknown``, and range-checks integers (never truncates).
- protojson (protojson, protojsonl), json (json, jsonl), binary (msgpack, cbor), bson, xml:
  keyed by name; an unknown key is an error unless ``--drop-unknown``; an absent plain field
  reads as its zero value, an absent required one is an error (fmtbench's policy, XML per
  its XSD).
- avro (container files): the Avro specification's "Schema Resolution": the file carries the
  writer schema, names are identity (aliases), promotions int->long->float->double and
  string<->bytes, every field has a default in fmtbench's Avro schema.
- avro-single: the single-object encoding names its schema by fingerprint; fmtbench has no
  schema store, so a record of another Parsing Canonical Form is refused.

Backward: new readers read old data. Forward: old readers read new data. The rule of each
kind of change is in effects.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fmtbench.schema.diff.changes import Change
from fmtbench.schema.diff.effects import Context, Effect, effect
from fmtbench.schema.diff.reads import Read

#: The families of rules (effects.py), one a registry entry names (``Format.evolution``).
FAMILIES = ("protobuf", "protojson", "json", "binary", "bson", "xml", "avro", "avro-single")


@dataclass
class Verdict:
    """One format's verdict on the whole change list."""

    format: str
    family: str
    backward: bool
    forward: bool
    #: (change, direction, read) of every change that is not ok that way.
    reasons: list[tuple[Change, str, Read]]
    effects: list[Effect]
    #: The same with --drop-unknown (None when it is no different).
    drop: Verdict | None = None
    note: str = ""
    #: --prove's outcomes, direction -> Outcome (filled by the CLI; empty otherwise).
    proof: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        if self.backward and self.forward:
            return "full"
        return "backward" if self.backward else "forward" if self.forward else "breaking"

    def meets(self, require: str) -> bool:
        need_b = require in ("backward", "full")
        need_f = require in ("forward", "full")
        return (self.backward or not need_b) and (self.forward or not need_f)


def family_of(fmt: str) -> str | None:
    """A format's family, as its registry entry says (a plugin's may name none: then the
    format it writes messages as decides); None: unknown."""
    from fmtbench.codecs.registry import REGISTRY

    entry = REGISTRY.get(fmt)
    if entry is not None and entry.evolution is None and entry.messages_as is not None:
        entry = REGISTRY.get(entry.messages_as)
    if entry is None or entry.evolution not in FAMILIES:
        return None
    return entry.evolution


def verdicts(
    changes: list[Change], formats: list[str], ctx: Context
) -> tuple[list[Verdict], list[str]]:
    """The verdict of each format, and a note for each format no rules cover."""
    out: list[Verdict] = []
    notes: list[str] = []
    for fmt in formats:
        fam = family_of(fmt)
        if fam is None:
            notes.append(
                f"{fmt}: no evolution rules for this format (a plugin of no known"
                " family): skipped; --prove shows what it does"
            )
            continue
        effects = [effect(c, fam, ctx) for c in changes]
        plain = _verdict(fmt, fam, changes, effects, drop=False)
        dropped = _verdict(fmt, fam, changes, effects, drop=True)
        if (dropped.backward, dropped.forward) != (plain.backward, plain.forward):
            plain.drop = dropped
        out.append(plain)
    return out, notes


def _verdict(
    fmt: str, fam: str, changes: list[Change], effects: list[Effect], drop: bool
) -> Verdict:
    reasons = []
    ways = {"backward": True, "forward": True}
    for c, e in zip(changes, effects, strict=True):
        for way in ways:
            r = e.read(way, drop)
            if r.status != "ok":
                ways[way] = False
                reasons.append((c, way, r))
    return Verdict(fmt, fam, ways["backward"], ways["forward"], reasons, effects)


def context(old: Any, new: Any, old_type: str | None, new_type: str | None) -> Context:
    """The ``Context`` of two schemas (their Avro canonical forms compared)."""
    a, b = old.message(old_type).name, new.message(new_type).name
    try:
        from fmtbench.codecs import codec_for

        same = getattr(codec_for("avro-single", old, a), "canonical_form", None) == getattr(
            codec_for("avro-single", new, b), "canonical_form", object()
        )
    except Exception:  # fastavro not installed, or a schema Avro cannot write
        same = False
    return Context(a, b, same)
