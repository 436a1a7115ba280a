"""``schema diff``'s three outputs: the table for a terminal, Markdown for a pull request,
and the JSON document for scripts (``--json``), each with ``--prove``'s outcomes beside the
verdicts when there are some."""

from __future__ import annotations

from typing import Any

from fmtbench.schema.diff.changes import Change
from fmtbench.schema.diff.effects import Effect
from fmtbench.schema.diff.reads import Read
from fmtbench.schema.diff.rules import Verdict

LEGEND = (
    "full: new readers read old data and old readers new data; B: backward only (new"
    " readers read old data); F: forward only (old readers read new data); break: neither;"
    " ~: only for some values (out of range, zero values, bytes that are not UTF-8); +d:"
    " --drop-unknown makes it the verdict after the slash"
)


def cell(e: Effect, drop: bool) -> str:
    """One change x format cell: full, B, F or break (``~``: for some values only)."""
    b, f = e.read("backward", drop), e.read("forward", drop)
    text = _level(b.status == "ok", f.status == "ok")
    if any(r.status != "ok" and r.some for r in (b, f)):
        text += "~"
    return text


def _level(backward: bool, forward: bool) -> str:
    if backward and forward:
        return "full"
    return "B" if backward else "F" if forward else "break"


def _cells(changes: list[Change], v: Verdict, drop: bool) -> list[str]:
    out = []
    for e in v.effects:
        text = cell(e, drop)
        if not drop and (other := cell(e, True)) != text:
            text += f"/{other}+d"
        out.append(text)
    return out


def _label(c: Change) -> str:
    what = f"{c.old} -> {c.new}" if c.old and c.new else c.new or c.old
    detail = f" [{c.detail}]" if c.detail and c.detail not in c.old + c.new else ""
    return f"{c.path}: {c.kind}{detail} {what}".rstrip()


def _rows(changes: list[Change], verdicts: list[Verdict], drop: bool) -> list[list[str]]:
    """The table: formats whose every cell is the same share a column (``json+5``)."""
    groups = _groups(changes, verdicts, drop)
    rows = [["change", *(_head(g) for g, _ in groups)]]
    for i, c in enumerate(changes):
        rows.append([_label(c), *(cells[i] for _, cells in groups)])
    rows.append(["verdict", *(cells[-1] for _, cells in groups)])
    return rows


def _groups(
    changes: list[Change], verdicts: list[Verdict], drop: bool
) -> list[tuple[list[str], list[str]]]:
    """Formats with the same cells and verdict, in order: (names, cells + verdict)."""
    out: dict[tuple[str, ...], list[str]] = {}
    for v in verdicts:
        cells = (*_cells(changes, v, drop), _verdict_text(v, drop))
        out.setdefault(cells, []).append(v.format)
    return [(names, list(cells)) for cells, names in out.items()]


def _head(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]}+{len(names) - 1}"


def columns(changes: list[Change], verdicts: list[Verdict], drop: bool) -> list[str]:
    """What each shared column holds: ``json+5: json, jsonl, ...``."""
    return [
        f"{_head(names)}: {', '.join(names)}"
        for names, _ in _groups(changes, verdicts, drop)
        if len(names) > 1
    ]


def _verdict_text(v: Verdict, drop: bool) -> str:
    used = v.drop if drop and v.drop is not None else v
    text = used.level
    if not drop and v.drop is not None:
        text += f"/{v.drop.level}+d"
    return text


def reasons(changes: list[Change], verdicts: list[Verdict], drop: bool) -> list[str]:
    """One line a (change, direction, reason), in change order, naming its formats."""
    seen: dict[tuple[int, int, str], list[str]] = {}
    order = {id(c): i for i, c in enumerate(changes)}
    for v in verdicts:
        used = v.drop if drop and v.drop is not None else v
        for c, way, r in used.reasons:
            key = (order[id(c)], 0 if way == "backward" else 1, _reason(r))
            seen.setdefault(key, []).append(v.format)
    return [
        f"{_label(changes[i])}: {'backward' if way == 0 else 'forward'}: {reason}"
        f" ({', '.join(fmts)})"
        for (i, way, reason), fmts in sorted(seen.items(), key=lambda kv: kv[0][:2])
    ]


def _reason(r: Read) -> str:
    what = {"error": "refused", "changed": "values change"}[r.status]
    return f"{what}{' for some values' if r.some else ''}: {r.reason}"


def table(changes: list[Change], verdicts: list[Verdict], notes: list[str], drop: bool) -> str:
    """The human table, legend and reasons."""
    if not changes:
        same = "no changes: every format reads either version's data with the other's schema"
        return "\n".join([same, *[f"note: {n}" for n in notes], *_proof_lines(verdicts)])
    rows = _rows(changes, verdicts, drop)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(t.ljust(w) for t, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", *columns(changes, verdicts, drop), LEGEND, ""]
    lines += [f"- {line}" for line in reasons(changes, verdicts, drop)]
    lines += [f"note: {n}" for n in notes]
    lines += _proof_lines(verdicts)
    return "\n".join(lines)


def markdown(changes: list[Change], verdicts: list[Verdict], notes: list[str], drop: bool) -> str:
    """The same as a GitHub table, for a pull request."""
    if not changes:
        return "\n".join(["No changes.", *[f"- note: {n}" for n in notes]])
    rows = _rows(changes, verdicts, drop)
    esc = [[t.replace("|", "\\|") for t in r] for r in rows]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(esc[0])]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    lines += ["", *[f"{c}  " for c in columns(changes, verdicts, drop)], LEGEND, ""]
    lines += ["- " + line.replace("|", "\\|") for line in reasons(changes, verdicts, drop)]
    lines += [f"- note: {n}" for n in notes]
    proof = _proof_lines(verdicts)
    if proof:  # a fenced block: the lines keep their columns, and no list swallows them
        lines += ["", "Proof by data:", "", "```", *proof[2:], "```"]
    return "\n".join(lines)


def _read_json(r: Read | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"status": r.status, "some": r.some, "reason": r.reason}


def document(
    changes: list[Change],
    verdicts: list[Verdict],
    notes: list[str],
    *,
    old: dict[str, Any],
    new: dict[str, Any],
    require: str,
    drop: bool,
    ok: bool,
) -> dict[str, Any]:
    """The ``--json`` document: changes, each format's verdict with its reasons and
    per-change effects, and ``proof`` (direction -> outcome) when ``--prove`` ran."""
    index = {id(c): i for i, c in enumerate(changes)}
    formats: dict[str, Any] = {}
    for v in verdicts:
        used = v.drop if drop and v.drop is not None else v
        formats[v.format] = {
            "family": v.family,
            "verdict": used.level,
            "backward": used.backward,
            "forward": used.forward,
            "meets_require": used.meets(require),
            "with_drop_unknown": None
            if v.drop is None
            else {"verdict": v.drop.level, "backward": v.drop.backward, "forward": v.drop.forward},
            "reasons": [
                {"change": index[id(c)], "direction": way, **(_read_json(r) or {})}
                for c, way, r in used.reasons
            ],
            "effects": [
                {
                    "change": i,
                    "backward": _read_json(e.backward),
                    "forward": _read_json(e.forward),
                    "backward_drop_unknown": _read_json(e.backward_drop),
                    "forward_drop_unknown": _read_json(e.forward_drop),
                }
                for i, e in enumerate(v.effects)
            ],
            "proof": {way: outcome_json(v, way, o) for way, o in v.proof.items()} or None,
        }
    return {
        "old": old,
        "new": new,
        "require": require,
        "drop_unknown": drop,
        "ok": ok,
        "changes": [c.as_dict() for c in changes],
        "formats": formats,
        "skipped": notes,
    }


# -- --prove ---------------------------------------------------------------------------------
def expected(v: Verdict, way: str) -> tuple[bool, bool]:
    """For a proof direction ("backward", "forward --drop-unknown"...): whether the verdict
    says every record reads unchanged, and whether a failure would hit some values only
    (then data that reads cleanly does not contradict it)."""
    direction, _, flag = way.partition(" ")
    used = v.drop if flag == "--drop-unknown" and v.drop is not None else v
    ok = used.backward if direction == "backward" else used.forward
    some = all(r.some for _, w, r in used.reasons if w == direction)
    return ok, some


def agrees(v: Verdict, way: str, outcome: Any) -> bool | None:
    """Whether a proof outcome agrees with the verdict; None: the verdict fails only for
    some values, and the data held none of them."""
    if outcome.records == 0:  # the writer version wrote nothing: nothing to agree with
        return None
    ok, some = expected(v, way)
    if bool(outcome.ok) == ok:
        return True
    return None if outcome.ok and some else False


def outcome_json(v: Verdict, way: str, o: Any) -> dict[str, Any]:
    return {
        "records": o.records,
        "read": o.read,
        "changed": o.changed,
        "errors": o.errors,
        "first_problem": o.first_problem,
        "ok": o.ok,
        "agrees": agrees(v, way, o),
    }


def _proof_lines(verdicts: list[Verdict]) -> list[str]:
    lines: list[str] = []
    for v in verdicts:
        for way, o in v.proof.items():
            agree = agrees(v, way, o)
            said = {True: "agrees", False: "CONTRADICTS the verdict", None: "not exercised"}
            problem = f"; first: {o.first_problem}" if o.first_problem else ""
            lines.append(
                f"{v.format} {way}: {o.read}/{o.records} read, {o.changed} changed,"
                f" {o.errors} errors: {said[agree]}{problem}"
            )
    return ["", "proof by data:", *lines] if lines else []
