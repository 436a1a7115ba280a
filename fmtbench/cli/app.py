"""The typer application, the exit statuses and the options every command shares."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from fmtbench import __version__
from fmtbench.errors import UsageError
from fmtbench.text import plain_text


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1  # bad input, a record that cannot be written, a bad schema, an I/O failure
    USAGE = 2  # the command line itself is wrong
    INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + 2
    TERMINATED = 143  # SIGTERM: 128 + 15; outputs being written are removed, as for Ctrl-C


app = typer.Typer(
    name="fmtbench",
    help="Compile one schema to every wire format 'fmtbench formats' lists; convert and compare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion and --show-completion for bash, zsh, fish
    context_settings={"help_option_names": ["-h", "--help"]},
)
schema_app = typer.Typer(help="Check a schema or export it for other tools.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

SchemaArg = Annotated[
    str, typer.Option("--schema", "-s", help="Schema file, or a built-in name (order, sensor).")
]
TypeOpt = Annotated[
    str | None, typer.Option("--type", "-t", help="Record type (default: the schema's root).")
]
ProtoPathOpt = Annotated[
    list[str] | None,
    typer.Option(
        "-I",
        "--proto-path",
        help="Where a .proto --schema's imports are found (repeatable; default: its folder).",
    ),
]


def schema_type(
    schema: str | None, proto_path: list[str] | None, type_name: str | None
) -> tuple[str | None, str | None]:
    """``--schema``, ``-I`` and ``--type`` as every command passes them on: a .proto file's
    include folders and type travel inside its reference (``schema_ref``), and the record
    type is then the imported root."""
    from fmtbench.errors import UsageError
    from fmtbench.schema.builtin import is_proto, schema_ref

    if schema is None or not is_proto(schema):
        if proto_path:
            raise UsageError("-I/--proto-path applies to a .proto --schema only")
        return schema, type_name
    return schema_ref(schema, proto_path or (), type_name), None


def schema_of_inputs(inputs: list[str], ask: str) -> str:
    """The schema of inputs given without ``--schema``: the first one's, when every one
    carries its own (an Avro container's header); else a usage error, ``ask`` first."""
    from fmtbench.codecs.registry import REGISTRY
    from fmtbench.errors import UsageError
    from fmtbench.schema.builtin import carried_schema_format

    if inputs and all(carried_schema_format(p) for p in inputs):
        return inputs[0]
    carriers = [e for f in REGISTRY.values() if f.schema_in_file for e in f.extensions]
    raise UsageError(f"{ask} (only {', '.join(carriers)} inputs carry their own schema)")


def say(line: str, *, err: bool = False) -> None:
    """Print one line for a person. Names, keys and messages in it may come from a file,
    so its control characters are escaped (``fmtbench.text``): it stays one line, and
    nothing in it reaches the terminal as an escape sequence."""
    typer.echo(plain_text(line), err=err)


def _version(value: bool) -> None:
    """fmtbench's version, Python's and the protobuf backend, then every format's libraries:
    what a bug report needs."""
    if value:
        import platform

        from fmtbench.bench.environment import library_versions

        typer.echo(f"fmtbench {__version__} (Python {platform.python_version()})")
        for name, version in sorted(library_versions().items()):
            typer.echo(plain_text(f"  {name} {version}"))
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """fmtbench: one canonical schema, many wire formats."""


OutputFormatOpt = Annotated[
    str, typer.Option("--format", help="text (for people) or json (for programs).")
]


def wants_json(output_format: str) -> bool:
    """Whether ``--format`` asks for JSON; anything but text or json is a usage error."""
    if output_format not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {output_format!r}")
    return output_format == "json"


def print_json(value: object) -> None:
    """A JSON document on stdout, for programs: the data as it is (no escaping for a
    terminal; JSON escapes control characters itself)."""
    import json
    import math

    def finite(v: object) -> object:  # JSON has no infinity or NaN: null stands for them
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, dict):
            return {str(k): finite(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [finite(x) for x in v]
        return v

    typer.echo(json.dumps(finite(value), indent=2, ensure_ascii=False, default=str))
