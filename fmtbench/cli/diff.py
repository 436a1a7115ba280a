"""``fmtbench schema diff OLD NEW``: will the new version break my readers, per format.

Exit 0 when every selected format is at least as compatible as ``--require``, 1 otherwise
(for CI, like ``buf breaking``); bad input is one line on stderr, as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fmtbench.cli.app import (
    OutputFormatOpt,
    ProtoPathOpt,
    print_json,
    say,
    schema_app,
    schema_type,
    wants_json,
)
from fmtbench.errors import UsageError

REQUIRE = ("backward", "forward", "full")


@schema_app.command("diff")
def schema_diff(
    old: Annotated[str, typer.Argument(help="The old schema: .yaml, .proto, .avsc or built-in.")],
    new: Annotated[str, typer.Argument(help="The new schema, in any of those forms.")],
    type_name: Annotated[
        str | None,
        typer.Option("--type", "-t", help="Record type in both (default: each one's root)."),
    ] = None,
    old_type: Annotated[
        str | None, typer.Option("--old-type", help="Record type of the old schema.")
    ] = None,
    new_type: Annotated[
        str | None, typer.Option("--new-type", help="Record type of the new schema.")
    ] = None,
    formats: Annotated[
        str | None,
        typer.Option("--formats", help="Comma-separated formats (default: every one)."),
    ] = None,
    require: Annotated[
        str,
        typer.Option("--require", help="backward, forward or full: what exit status 0 needs."),
    ] = "backward",
    as_json: Annotated[bool, typer.Option("--json", help="A JSON document, for scripts.")] = False,
    output_format: OutputFormatOpt = "text",
    markdown: Annotated[
        bool, typer.Option("--markdown", help="A GitHub Markdown table, for a pull request.")
    ] = False,
    prove: Annotated[
        bool,
        typer.Option(
            "--prove",
            help="Write generated records with one version, read them"
            " with the other, and show what happened beside each verdict.",
        ),
    ] = False,
    records: Annotated[int, typer.Option("--records", help="Records --prove writes.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of --prove's records.")] = 0,
    drop_unknown: Annotated[
        bool,
        typer.Option("--drop-unknown", help="Judge readers that discard unknown fields."),
    ] = False,
    proto_path: ProtoPathOpt = None,
    old_proto_path: Annotated[
        list[str] | None,
        typer.Option(
            "--old-proto-path",
            help="The old .proto's import folders, when they are not -I's (two checkouts).",
        ),
    ] = None,
    new_proto_path: Annotated[
        list[str] | None,
        typer.Option("--new-proto-path", help="The new .proto's import folders, likewise."),
    ] = None,
) -> None:
    """Every change from OLD to NEW, and each format's verdict: full, backward (new readers
    read old data), forward (old readers read new data) or breaking (docs/evolution.md)."""
    from fmtbench.schema.builtin import resolve_schema
    from fmtbench.schema.diff import diff, verdicts
    from fmtbench.schema.diff.render import document, table
    from fmtbench.schema.diff.render import markdown as to_markdown
    from fmtbench.schema.diff.rules import context

    json_out = as_json or wants_json(output_format)
    if require not in REQUIRE:
        raise UsageError(f"--require must be one of {', '.join(REQUIRE)}, not {require!r}")
    if json_out and markdown:
        raise UsageError("--json and --markdown are two outputs: give one")
    if records < 1:
        raise UsageError(f"--records must be at least 1, not {records}")
    chosen = _formats(formats)
    old_ref, old_t = schema_type(
        old, _includes(old, old_proto_path, proto_path), old_type or type_name
    )
    new_ref, new_t = schema_type(
        new, _includes(new, new_proto_path, proto_path), new_type or type_name
    )
    assert old_ref is not None
    assert new_ref is not None
    a, b = resolve_schema(old_ref), resolve_schema(new_ref)
    a_root, b_root = a.message(old_t).name, b.message(new_t).name  # unknown --type: an error
    changes = diff(a, b, a_root, b_root)
    judged, notes = verdicts(changes, chosen, context(a, b, a_root, b_root))
    if prove:
        _prove(judged, notes, a, b, a_root, b_root, records, seed)
    passed = all(
        (v.drop if drop_unknown and v.drop is not None else v).meets(require) for v in judged
    )
    if json_out:
        print_json(
            document(
                changes,
                judged,
                notes,
                old={"schema": old, "type": a_root},
                new={"schema": new, "type": b_root},
                require=require,
                drop=drop_unknown,
                ok=passed,
            )
        )
    else:
        render = to_markdown if markdown else table
        for line in render(changes, judged, notes, drop_unknown).splitlines():
            say(line)
    if not passed:
        raise typer.Exit(1)


def _includes(schema: str, own: list[str] | None, shared: list[str] | None) -> list[str] | None:
    """The import folders of one side: its own, else -I's (which a side that is not a
    .proto file ignores, as the two versions may come in different forms)."""
    from fmtbench.schema.builtin import is_proto

    if own and not is_proto(schema):
        raise UsageError(f"{schema}: a proto path applies to a .proto schema only")
    return own or (shared if is_proto(schema) else None)


def _formats(text: str | None) -> list[str]:
    from fmtbench.codecs.registry import REGISTRY

    if text is None:
        return list(REGISTRY)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--formats names no format")
    for n in names:
        REGISTRY.get_format(n)  # an unknown name: a usage error listing the known ones
    return names


def _prove(
    judged: list[Any],
    notes: list[str],
    a: Any,
    b: Any,
    a_root: str,
    b_root: str,
    records: int,
    seed: int,
) -> None:
    """Fill each verdict's ``proof`` with --prove's outcomes (schema/diff/prove.py)."""
    import importlib

    name = "fmtbench.schema.diff.prove"
    try:
        engine = importlib.import_module(name)  # built apart (task P): may not be there yet
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        notes.append(f"--prove: the proof engine ({name}) is not there yet")
        return
    outcomes = engine.prove(
        a, b, a_root, b_root, [v.format for v in judged], records=records, seed=seed
    )
    for v in judged:
        v.proof = dict(outcomes.get(v.format, {}))
