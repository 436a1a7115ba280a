"""``fmtbench schema check|export|import|infer``."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Annotated

import typer

from fmtbench.cli.app import (
    OutputFormatOpt,
    ProtoPathOpt,
    TypeOpt,
    print_json,
    say,
    schema_app,
    schema_type,
    wants_json,
)
from fmtbench.errors import SchemaError, UsageError
from fmtbench.files import STDIO, atomic_output, refuse_overwriting_inputs
from fmtbench.schema.builtin import resolve_schema

if TYPE_CHECKING:
    from fmtbench.codecs.format import Format


def export_targets() -> dict[str, Format]:
    """``--to`` name -> the format whose schema export it writes, once a target."""
    from fmtbench.codecs.registry import REGISTRY

    targets: dict[str, Format] = {}
    for f in REGISTRY.values():
        if f.export is not None:
            targets.setdefault(f.export.target, f)
    return targets


@schema_app.command("check")
def schema_check(
    schema: Annotated[str, typer.Argument(help="Schema file (.yaml or .proto) or built-in name.")],
    proto_path: ProtoPathOpt = None,
    type_name: TypeOpt = None,
    output_format: OutputFormatOpt = "text",
    lint: Annotated[
        bool, typer.Option("--lint", help="Also say what keeps the .proto from buf lint.")
    ] = False,
) -> None:
    """Load a schema and report what it declares; errors name file:line:column and the fix."""
    as_json = wants_json(output_format)
    ref, _ = schema_type(schema, proto_path, type_name)
    assert ref is not None
    s = resolve_schema(ref)
    # Each target has limits of its own (Protobuf's enum value scope, XML's attribute
    # names): compiling for every one proves the schema works everywhere.
    from fmtbench.limits import DEFAULT_MAX_DEPTH, forced_depth
    from fmtbench.schema.proto_restore import is_imported, proto_files

    # A record type whose every record nests past the depth limit could never be used: said
    # first, as no target could do anything with it.
    for name in s.messages:
        if (least := forced_depth(s, name)) > DEFAULT_MAX_DEPTH:
            raise SchemaError(
                f"{schema}: every record of {name} nests at least {least} levels (its required"
                f" message, timestamp and duration fields), over the limit of {DEFAULT_MAX_DEPTH} (--max-depth): make"
                " a field on that chain optional"
            )
    from fmtbench.codecs import render_export

    for target, exporter in export_targets().items():
        if target == "proto" and is_imported(s):
            proto_files(s)  # one file a package: it may not fit the single text render writes
            continue
        render_export(exporter, s, None)
    # And every format's codec of the root, as convert would build it: what a codec's
    # compiler refuses (a name clashing in Protobuf's pool, XML's mapping) shows here.
    from fmtbench.codecs import FORMATS, codec_for

    for fmt in FORMATS:
        codec_for(fmt, s)
    from fmtbench.schema.lint import lint_hints

    hints = lint_hints(s) if lint else []
    if as_json:
        print_json(
            {
                "schema": s.name,
                "ok": True,
                "root": s.root,
                "messages": list(s.messages),
                "enums": list(s.enums),
                **({"lint": hints} if lint else {}),
            }
        )
        return
    say(f"{s.name}: ok: {len(s.messages)} message types, {len(s.enums)} enums, root {s.root}")
    for hint in hints:
        say(f"lint: {hint}")


@schema_app.command("export")
def schema_export(
    schema: Annotated[str, typer.Argument(help="Schema file (.yaml or .proto) or built-in name.")],
    to: Annotated[
        str,
        typer.Option("--to", help="What to write: an export target 'fmtbench formats' lists."),
    ],
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
    type_name: TypeOpt = None,
    proto_path: ProtoPathOpt = None,
) -> None:
    """Write the schema for other tools: a .proto file, an XSD, a JSON Schema, ...

    A schema imported from .proto files in several packages exports --to proto as one file
    a package, into the folder -o DIR."""
    targets = export_targets()
    if to not in targets:
        raise UsageError(f"--to must be one of {', '.join(targets)}, not {to!r}")
    refuse_overwriting_inputs([out], [schema])
    ref, type_name = schema_type(schema, proto_path, type_name)
    assert ref is not None
    s = resolve_schema(ref)
    if to == "proto":
        from fmtbench.schema.proto_restore import is_imported, proto_files

        files = proto_files(s) if is_imported(s) else {}
        if len(files) > 1:
            _write_tree(files, out, s.name)
            return
    from fmtbench.codecs import render_export

    text = render_export(targets[to], s, type_name)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))


def _write_tree(files: dict[str, str], folder: str, name: str) -> None:
    """One file a package under ``folder``, each written whole or not at all."""
    from pathlib import Path

    if folder == STDIO or (Path(folder).exists() and not Path(folder).is_dir()):
        raise UsageError(
            f"schema {name} spans {len(files)} Protobuf packages: give -o DIR, a folder to"
            " write one .proto file a package into"
        )
    for rel, text in files.items():
        target = Path(folder) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(str(target)) as f:
            f.write(text.encode("utf-8"))
    say(f"{len(files)} .proto files written under {folder}: {', '.join(files)}", err=True)


@schema_app.command("import")
def schema_import(
    proto: Annotated[str, typer.Argument(help="The .proto or .avsc file to import.")],
    proto_path: ProtoPathOpt = None,
    type_name: Annotated[
        str | None,
        typer.Option(
            "--type",
            "-t",
            help="Root message, Pkg.Message (default: every message of the file, the first"
            " as root).",
        ),
    ] = None,
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
) -> None:
    """Write the canonical YAML schema of a .proto file (parsed by protoc, from
    grpcio-tools) or of an Avro .avsc file."""
    from fmtbench.schema.dump import schema_yaml

    if proto.endswith(".avsc"):
        from fmtbench.schema.avscfile import import_avsc

        if proto_path:
            raise UsageError("-I/--proto-path applies to a .proto file only")
        refuse_overwriting_inputs([out], [proto])
        s = import_avsc(proto, type_name)
    else:
        from fmtbench.schema.protofile import import_proto

        if not proto.endswith(".proto"):
            raise UsageError(f"{proto}: schema import reads a .proto or .avsc file")
        refuse_overwriting_inputs([out], [proto])
        s = import_proto(proto, proto_path or (), type_name)
    header = f"Imported by fmtbench from {proto}" + (f" (--type {type_name})" if type_name else "")
    text = schema_yaml(s, header)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))


@schema_app.command("infer")
def schema_infer(
    file: Annotated[
        str,
        typer.Argument(
            help="Sample records in a format 'fmtbench formats' marks for infer; - for stdin."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the record type.")] = "Record",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="A format 'fmtbench formats' marks for infer (default: from the file name).",
        ),
    ] = None,
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
) -> None:
    """Write a canonical schema that round-trips the sample: a starting point to review."""
    from fmtbench.files import open_input
    from fmtbench.infer import infer_format_for_path, infer_schema_text, sample_formats

    if fmt is None:
        if file == STDIO:
            raise UsageError(
                f"reading a sample from '-' needs --format {'|'.join(sample_formats())}"
            )
        fmt = infer_format_for_path(file)
    refuse_overwriting_inputs([out], [file])
    from fmtbench.compress import compression, decompressing

    with open_input(file) as packed, decompressing(packed, compression(file), file) as f:
        data = f.read()
    from fmtbench.codecs.registry import REGISTRY

    entry = REGISTRY.get_format(fmt)
    if entry.schema_in_file is not None:  # no guess: the file says (an Avro header)
        from fmtbench.schema.dump import schema_yaml

        source = f"{REGISTRY[fmt].title} input" if file == STDIO else file
        s = entry.file_schema(io.BytesIO(data), source)
        text = schema_yaml(s, f"Imported by fmtbench from the schema {source} carries")
    else:
        text = infer_schema_text(data, fmt, name=name, source=None if file == STDIO else file)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))
