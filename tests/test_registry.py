"""The registry: built-in entries are sound, plugins are found through entry points, and a
plugin that cannot be used is skipped with one warning while fmtbench keeps working."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from fmtbench.codecs import FORMATS, Codec, Format, FormatPluginWarning
from fmtbench.codecs.registry import BUILTIN, Registry
from fmtbench.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent

#: A format for the tests below: JSON Lines under another name and ending.
TOY = Format(
    name="toy",
    title="Toy",
    codec="fmtbench.codecs.json.codec:JsonLinesCodec",
    extensions=(".toy",),
)
TAKEN_NAME = dataclasses.replace(TOY, name="json", extensions=(".json2",))
TAKEN_ENDING = dataclasses.replace(TOY, name="toy2", extensions=(".jsonl",))
BAD_NAME = dataclasses.replace(TOY, name="Not A Name", extensions=(".bad",))


def test_builtin_entries_are_sound() -> None:
    builtin = Registry(group=None)
    names = list(builtin)
    assert len(names) == len(set(names))
    endings = [e for f in builtin.values() for e in f.extensions]
    assert len(endings) == len(set(endings))
    for name, entry in builtin.items():
        assert entry.problems() == []
        assert issubclass(entry.codec_class(), Codec), name
        for other in (entry.batch_format, entry.messages_as):
            assert other is None or other in builtin, (name, other)
        assert entry.split is None or entry.splitter() is not None
        assert entry.explain is None or entry.explain_rules() is not None
        assert entry.native is None or entry.native_adapter() is not None
        assert entry.sample is None or entry.sample_reader() is not None


def test_listing_orders_by_order_then_name() -> None:
    orders = [(f.order, name) for name, f in FORMATS.items()]
    assert orders == sorted(orders)


def test_builtin_lookups_do_not_scan_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry()
    monkeypatch.setattr(registry, "_plugins", lambda: pytest.fail("scanned plugins"))
    assert registry["json"].name == "json"
    assert registry.for_path("a/b.XML") == "xml"


def _fake_plugins(tmp_path: Path, lines: list[str]) -> Path:
    """A directory holding an installed distribution that declares ``lines`` as entry points,
    and the module they load: what ``pip install`` of a plugin leaves in site-packages."""
    dist = tmp_path / "fake_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[fmtbench.formats]\n" + "\n".join(lines) + "\n")
    (tmp_path / "fake_plugin_formats.py").write_text(
        "import dataclasses\n"
        "from tests.test_registry import TOY, TAKEN_NAME, TAKEN_ENDING, BAD_NAME\n"
        "NOT_A_FORMAT = 42\n"
        "def broken():\n    raise RuntimeError('boom')\n"
    )
    return tmp_path


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _fake_plugins(
        tmp_path,
        [
            "toy = fake_plugin_formats:TOY",
            "taken = fake_plugin_formats:TAKEN_NAME",
            "ending = fake_plugin_formats:TAKEN_ENDING",
            "badname = fake_plugin_formats:BAD_NAME",
            "missing = no_such_module_anywhere:FORMAT",
            "notformat = fake_plugin_formats:NOT_A_FORMAT",
        ],
    )
    monkeypatch.syspath_prepend(str(path))
    return path


def test_plugins_are_found_and_bad_ones_skipped_with_one_warning_each(plugins: Path) -> None:
    registry = Registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = list(registry)
    assert "toy" in names
    assert registry["toy"].origin == "fake-plugin"
    assert registry.for_path("x.toy") == "toy"
    assert registry["json"].origin == "fmtbench"  # a plugin cannot take a built-in's name
    messages = sorted(str(w.message) for w in caught if w.category is FormatPluginWarning)
    assert len(messages) == 5, messages
    assert all(m.endswith("; skipped") and "\n" not in m for m in messages)
    joined = "\n".join(messages)
    assert "'missing' (no_such_module_anywhere:FORMAT, from fake-plugin) failed to load" in joined
    assert "the name 'json' is taken (fmtbench)" in joined
    assert "the ending '.jsonl' is taken by jsonl" in joined
    assert "'Not A Name' is not lower case" in joined
    assert "must name a Format or a sequence of them" in joined


def test_register_from_code() -> None:
    registry = Registry(group=None)
    registry.register(TOY)
    assert "toy" in registry
    with pytest.raises(ValueError, match="is taken"):
        registry.register(TOY)
    registry.unregister("toy")
    assert "toy" not in registry


def test_unknown_names_and_endings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown format 'yaml'; choose one of: protobuf,"):
        FORMATS.get_format("yaml")
    with pytest.raises(UsageError, match=r"known: \.pb \(protobuf\)"):
        FORMATS.for_path("data.yaml")


def test_a_broken_plugin_leaves_the_cli_working(plugins: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugins), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, "-m", "fmtbench", "formats"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    warned = out.stderr.splitlines()
    assert len(warned) == 5, warned
    assert all(line.startswith("fmtbench: warning: plugin ") for line in warned)
    assert "toy" in [line.split()[0] for line in out.stdout.splitlines()]
    # A command that needs only built-ins never scans plugins, so it says nothing.
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1}\n')
    out = subprocess.run(
        [sys.executable, "-m", "fmtbench", "convert", str(src), str(tmp_path / "o.json"),
         "--schema", "order", "--drop-unknown", "--quiet"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert (out.returncode, out.stderr) == (0, "")


def test_builtins_are_named_once() -> None:
    assert len(BUILTIN) == len(set(BUILTIN))


def test_formats_command_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fmtbench.cli import main

    assert main(["formats", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in listed] == list(FORMATS)
    by_name = {f["name"]: f for f in listed}
    for name, entry in FORMATS.items():
        assert by_name[name]["extensions"] == list(entry.extensions)
        assert by_name[name]["infer"] is (not entry.needs_schema)
    assert main(["formats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FORMATS)
