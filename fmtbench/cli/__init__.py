"""The command line: parse arguments, call the library, print. Nothing else lives here.

One module per command group registers its commands on the shared ``app``. Every failure
funnels through ``main``: a FmtbenchError becomes one line on stderr and an exit status from
``ExitStatus``; no traceback reaches the user.
"""

from __future__ import annotations

import sys

import typer

from fmtbench.cli import bench, convert, explain, generate, report, schema  # noqa: F401 - registers commands
from fmtbench.cli.app import ExitStatus, app
from fmtbench.errors import FmtbenchError, UsageError

__all__ = ["ExitStatus", "app", "main", "run"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status; usage errors are typer's (status 2)."""
    try:
        app(args=argv, prog_name="fmtbench")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ExitStatus.ERROR
    except FmtbenchError as exc:
        typer.echo(f"fmtbench: error: {exc}", err=True)
        return ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.ERROR
    except KeyboardInterrupt:
        typer.echo("fmtbench: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    return ExitStatus.OK


def run() -> None:
    sys.exit(main())
