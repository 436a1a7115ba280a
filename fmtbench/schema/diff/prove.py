"""Proof by data for ``schema diff --prove``: what really happens when one version of a schema
reads what the other wrote, through fmtbench's own codecs.

``prove(old, new, ...)`` generates seeded records with the writer version, writes each in
every selected format with the writer version's codec, reads it with the reader version's
codec, and counts, per format and direction, the records read, the records whose values
changed and the records that failed (``Outcome``). **backward** is old data read by the new
version, **forward** new data read by the old version. Formats with an unknown-field policy
are read both without and with ``--drop-unknown`` (keys ``"backward --drop-unknown"`` and
``"forward --drop-unknown"``), since the answer of keyed formats depends on it.

How the records are written and read:

- Every format in message mode (``encode``/``decode``: one record a message), except Avro's
  container form (``avro``): each record is written as a file of its own, since the file's
  header carries the writer schema and only then does fastavro resolve it against the
  reader's by Avro's rules (promotions, defaults, skipped fields, aliases). ``avro-single``
  is read as fmtbench reads it: its fingerprint must be the reader schema's (fmtbench keeps
  no registry of writer schemas), so any change of the Avro schema fails there.
- The data exercises what changes can break: optional fields are present in about half the
  records; integers are drawn uniformly over their type's whole range (a narrowing from
  int64 to int32 meets values that do not fit); enum values uniformly (a value added in the
  writer version shows up); and every other record has about half its values replaced by
  edge values: zero values (an implicit-presence field does not write its zero, so a reader
  that gives it presence reads nothing), the integers' extremes, -0.0, the widest decimal,
  empty strings, bytes, lists and maps.
- Only ``FmtbenchError`` counts as a failed read; any other exception is a bug and escapes.
  A version a format cannot compile (codec_for refuses it) is one Outcome saying so.
- A reader that met no unknown field without ``--drop-unknown`` (no error) reads the same
  with it (the policy acts on unknown fields only): that outcome is reused, not read again.

The records are made in ``sample.py``; what a record read must hold, in ``compare.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from fmtbench.codecs import Codec, Record, codec_for
from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import (
    FmtbenchError,
    RecordError,
    UsageError,
)
from fmtbench.schema.diff.compare import Compare, brief
from fmtbench.schema.diff.rules import family_of
from fmtbench.schema.diff.sample import sample
from fmtbench.schema.model import (
    Schema,
)

BACKWARD = "backward"  # old data, new reader
FORWARD = "forward"  # new data, old reader
#: What a direction's key ends with when the reader ran with ``drop_unknown=True``.
DROP_UNKNOWN = " --drop-unknown"

#: Families whose reader never meets a field it does not know, so ``drop_unknown`` cannot
#: change what it reads: Avro resolution skips the writer's extra fields itself.
_NO_POLICY = frozenset({"avro", "avro-single"})


def _file_form(fmt: str) -> bool:
    """Whether ``fmt`` is read as a file per record: its files carry the writer schema
    (``Format.schema_in_file``: Avro's header), which only a file's reader resolves."""
    return REGISTRY.get_format(fmt).schema_in_file is not None


@dataclass(frozen=True)
class Outcome:
    """What happened when one version read the other's records in one format."""

    records: int  # records written by the writer version
    read: int  # records the reader version read without error
    changed: int  # records read whose values differ from what was written
    errors: int  # records (or whole files) that failed to read
    first_problem: str | None  # first error or first difference, with record index and path

    @property
    def ok(self) -> bool:
        return self.read == self.records and self.changed == 0 and self.errors == 0


def prove(
    old: Schema,
    new: Schema,
    old_type: str | None,
    new_type: str | None,
    formats: Sequence[str],
    *,
    records: int = 200,
    seed: int = 0,
    drop_unknown: bool | None = None,
) -> dict[str, dict[str, Outcome]]:
    """format -> {direction key -> Outcome}; the module docstring says how it is decided.

    ``drop_unknown``: None runs each format with an unknown-field policy both ways (keys
    ``backward``/``forward`` without it, the same with ``DROP_UNKNOWN`` appended with it);
    True or False runs only that policy, the key saying which. Formats with no such policy
    (Avro) run once, under the plain keys."""
    for fmt in formats:  # every name checked before any work: a UsageError lists them
        if hint := REGISTRY.get_format(fmt).missing():
            raise UsageError(hint)
    old_version, new_version = (old, old_type), (new, new_type)
    old_records = sample(old, old_type, records, seed)
    new_records = sample(new, new_type, records, seed)
    out: dict[str, dict[str, Outcome]] = {}
    for fmt in formats:
        if family_of(fmt) in _NO_POLICY:
            policies = [False]
        else:
            policies = [False, True] if drop_unknown is None else [drop_unknown]
        out[fmt] = {
            **_direction(fmt, BACKWARD, old_version, new_version, old_records, policies),
            **_direction(fmt, FORWARD, new_version, old_version, new_records, policies),
        }
    return out


#: A version: the schema and the record type (None: its root).
_Version = tuple[Schema, str | None]


def _direction(
    fmt: str,
    direction: str,
    writer: _Version,
    reader: _Version,
    records: Sequence[Record],
    policies: Sequence[bool],
) -> dict[str, Outcome]:
    """One direction in one format, under each unknown-field policy."""
    (w_schema, w_type), (r_schema, r_type) = writer, reader
    keys = [direction + (DROP_UNKNOWN if drop else "") for drop in policies]
    try:
        written = _write(codec_for(fmt, w_schema, w_type), fmt, records)
    except FmtbenchError as exc:  # the version cannot be written in this format at all
        failed = Outcome(0, 0, 0, 1, f"the writer version cannot be written as {fmt}: {exc}")
        return dict.fromkeys(keys, failed)
    w_msg, r_msg = w_schema.message(w_type), r_schema.message(r_type)
    differ = Compare(w_schema, r_schema).root(w_msg, r_msg)
    out: dict[str, Outcome] = {}
    plain: Outcome | None = None
    for key, drop in zip(keys, policies, strict=True):
        if drop and plain is not None and plain.errors == 0:
            # Without the policy every unknown field is an error: a read that met none
            # reads the same with it, and is not read again.
            out[key] = plain
            continue
        try:
            codec = codec_for(fmt, r_schema, r_type, drop_unknown=drop)
        except FmtbenchError as exc:
            count = sum(1 for _, _, data in written if isinstance(data, bytes))
            problem = f"the reader version cannot read {fmt}: {exc}"
            out[key] = Outcome(count, 0, 0, count or 1, problem)
            continue
        out[key] = _read(codec, fmt, written, differ)
        plain = None if drop else out[key]
    return out


# -- writing and reading ---------------------------------------------------------------------
#: One written record: its index (1-based), the record, its bytes or why the writer refused.
_Written = tuple[int, Record, bytes | str]


def _write(codec: Codec, fmt: str, records: Sequence[Record]) -> list[_Written]:
    """Each record as one message (or, for ``_file_form``, one file) of the writer."""
    out: list[_Written] = []
    file_form = _file_form(fmt)
    for i, record in enumerate(records, 1):
        try:
            data = codec.encode_many([record]) if file_form else codec.encode(record)
        except FmtbenchError as exc:  # not the reader's doing: kept out of the counts
            out.append((i, record, f"record {i}: the writer version refused it: {exc}"))
            continue
        out.append((i, record, data))
    return out


def _read(
    codec: Codec,
    fmt: str,
    written: Iterable[_Written],
    differ: Callable[[Record, Record], str | None],
) -> Outcome:
    """Each written record read by the reader's codec and compared with what was written."""
    records = read = changed = errors = 0
    first: str | None = None
    refused: str | None = None
    file_form = _file_form(fmt)
    for i, record, data in written:
        if isinstance(data, str):
            refused = refused or data
            continue
        records += 1
        try:
            if file_form:
                got = codec.decode_many(data)
                if len(got) != 1:  # a file of one record must read as one
                    raise AssertionError(f"{fmt}: a file of one record read as {len(got)}")
                back = got[0]
            else:
                back = codec.decode(data)
        except FmtbenchError as exc:
            errors += 1
            if first is None:
                if isinstance(exc, RecordError) and file_form:
                    exc.record = None  # the file's only record: ``i`` names it
                first = f"record {i}: {exc}"
            continue
        read += 1
        difference = differ(record, back)
        if difference is not None:
            changed += 1
            first = first or f"record {i}: {difference}"
    problem = first or refused
    return Outcome(records, read, changed, errors, None if problem is None else brief(problem))
