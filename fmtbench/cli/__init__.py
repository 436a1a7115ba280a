"""The command line: parse arguments, call the library, print. Nothing else lives here.

One module per command group registers its commands on the shared ``app``. Every failure
funnels through ``main``: a FmtbenchError becomes one line on stderr and an exit status from
``ExitStatus``; no traceback reaches the user. Every line printed for a person goes through
``say``, which escapes the control characters a file name or a file's text may hold.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import TextIO

# typer carries its own copy of click (0.2x); its exceptions are the ones raised.
import typer
from typer._click import exceptions as click_errors

from fmtbench.cli.app import ExitStatus, app, say, schema_app
from fmtbench.codecs.registry import FormatPluginWarning
from fmtbench.errors import DecodeError, FmtbenchError, UsageError
from fmtbench.files import Terminated, reason, sigterm_raises

__all__ = ["ExitStatus", "app", "load_commands", "main", "run"]

#: The modules registering commands on ``app``, in the order ``--help`` lists them.
_MODULES = ("bench", "convert", "diff", "explain", "generate", "report", "schema")
#: The module(s) of each command. A run of one command imports and builds that module's
#: commands only: typer builds every command's options from its signature at each start,
#: and building all of them was a fifth of a one-record ``convert`` (tests/test_cli_lazy.py
#: holds this table to what the modules register).
COMMAND_MODULES = {
    "bench": ("bench",),
    "convert": ("convert",),
    "formats": ("convert",),
    "explain": ("explain",),
    "generate": ("generate",),
    "datasets": ("generate",),
    "report": ("report",),
    "plot": ("report",),
    "compare": ("report",),
    "recommend": ("report",),
    "schema": ("diff", "schema"),
}


def load_commands(command: str | None = None) -> None:
    """Register ``command``'s module(s) on ``app``, or every command's (None): the full
    app, its commands in their one order whatever was loaded before (``--help``, a name
    mistyped, shell completion)."""
    for module in COMMAND_MODULES[command] if command else _MODULES:
        importlib.import_module(f"fmtbench.cli.{module}")
    if command is None:
        for typer_app in (app, schema_app):
            typer_app.registered_commands.sort(key=_defined)


def _defined(info: typer.models.CommandInfo) -> tuple[int, int]:
    callback = info.callback
    assert callback is not None
    return _MODULES.index(callback.__module__.rsplit(".", 1)[-1]), callback.__code__.co_firstlineno


def _command_of(argv: list[str]) -> str | None:
    """The command a run names, when the app needs no other: its first argument."""
    if os.environ.get("_FMTBENCH_COMPLETE") or not argv or argv[0] not in COMMAND_MODULES:
        return None
    return argv[0]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status; usage errors are typer's (status 2).

    SIGTERM is turned into ``Terminated`` for the length of the run, so that it unwinds like
    Ctrl-C and every output being written loses its temporary file; the status is then 143.
    """
    try:
        with sigterm_raises(), warnings.catch_warnings():
            warnings.simplefilter("default", FormatPluginWarning)
            warnings.showwarning = _show_warning
            load_commands(_command_of(sys.argv[1:] if argv is None else argv))
            # Not standalone: click's usage errors come here, to be one line like the others
            # (click and typer would draw a box of several lines).
            status = app(args=argv, prog_name="fmtbench", standalone_mode=False)
            if status == ExitStatus.INTERRUPTED:  # typer's Exit(130) for a Ctrl-C
                say("fmtbench: interrupted", err=True)
            if isinstance(status, int) and status:
                return status
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()  # a bare group prints its help, as before
        return int(exc.exit_code)
    except click_errors.UsageError as exc:
        say(f"fmtbench: error: {_usage(exc)}", err=True)
        return ExitStatus.USAGE
    except typer.Abort:
        say("fmtbench: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except click_errors.ClickException as exc:
        say(f"fmtbench: error: {exc.format_message()}", err=True)
        return int(exc.exit_code)
    except SystemExit as exc:
        if _interrupted(exc):  # typer turns Ctrl-C into a silent exit with status 130
            say("fmtbench: interrupted", err=True)
            return ExitStatus.INTERRUPTED
        return exc.code if isinstance(exc.code, int) else ExitStatus.ERROR
    except FmtbenchError as exc:
        # The one place every error is printed: file names, keys and values in it are
        # escaped here, whichever message holds them (``say``).
        if isinstance(exc, DecodeError) and exc.file and exc.record in (None, 1):
            from fmtbench.sniff import content_hint

            if hint := content_hint(exc.file, exc.problem):
                exc.problem = f"{exc.problem}; {hint}"
        say(f"fmtbench: error: {exc}", err=True)
        return ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.ERROR
    except KeyboardInterrupt:
        say("fmtbench: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except Terminated:
        say("fmtbench: terminated", err=True)
        return ExitStatus.TERMINATED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except MemoryError:
        # Outputs being written are gone already: atomic_output removes its temporary file
        # on any exception. What is left to say fits in the memory just given back.
        say(
            "fmtbench: error: out of memory; lower --max-record-bytes or give the process"
            " more memory",
            err=True,
        )
        return ExitStatus.ERROR
    except OSError as exc:
        # A file fault that no layer below named: still one line, never a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"fmtbench: error: {where}{reason(exc)}", err=True)
        return ExitStatus.ERROR
    return ExitStatus.OK


_default_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A plugin that cannot be used is one line on stderr, like every other message (its
    names and its exception's text are the plugin's: escaped like a file's)."""
    if issubclass(category, FormatPluginWarning):
        say(f"fmtbench: warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def _usage(exc: click_errors.UsageError) -> str:
    """A usage error as one line, with where to read more."""
    message = " ".join(exc.format_message().split())
    command = exc.ctx.command_path if exc.ctx is not None else "fmtbench"
    return f"{message} (see '{command} --help')"


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the exceptions that led to ``exc``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run() -> None:
    sys.exit(main())
