"""A run of one command loads that command's module only (cli/__init__.py): the table
naming each command's module must match what the modules register, and the full app
(``--help``) must list the same commands in the same order whatever ran before."""

from __future__ import annotations

import subprocess
import sys

from fmtbench.cli import COMMAND_MODULES, app, load_commands, schema_app


def _module(info: object) -> str:
    callback = info.callback  # type: ignore[attr-defined]
    return str(callback.__module__.rsplit(".", 1)[-1])


def test_every_command_is_found_in_the_module_the_table_names() -> None:
    load_commands()
    names = {info.name: _module(info) for info in app.registered_commands}
    assert set(names) | {"schema"} == set(COMMAND_MODULES)
    for name, module in names.items():
        assert COMMAND_MODULES[name] == (module,), name
    assert {_module(info) for info in schema_app.registered_commands} == set(
        COMMAND_MODULES["schema"]
    )


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


def test_help_is_the_same_after_another_command_ran_first() -> None:
    fresh = _run("from fmtbench.cli import main; main(['--help'])")
    after = _run(
        "from fmtbench.cli import main; import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['formats']); main(['schema', '--help'])\n"
        "main(['--help'])"
    )
    assert after == fresh
    assert "convert" in fresh
    assert "recommend" in fresh


def test_a_run_of_one_command_builds_that_command_only() -> None:
    out = _run(
        "import io, contextlib, sys; from fmtbench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['formats'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('fmtbench.cli.')))"
    )
    assert out.split() == ["['fmtbench.cli.app',", "'fmtbench.cli.convert']"]


def test_a_mistyped_command_still_gets_its_suggestion() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fmtbench", "convrt"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Did you mean 'convert'?" in done.stderr
