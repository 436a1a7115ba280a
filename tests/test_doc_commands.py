"""Every command shown in README.md and docs/ runs in a test (the project's rule).

The commands are read from the fenced shell blocks of README.md and docs/*.md (```sh,
```bash, ```shell; in ```console only the ``$ `` lines): every line, a trailing ``\\``
joining the next, is either a ``fmtbench ...`` command, which runs here, or in ``SKIPPED``
with the reason it does not. Each command runs as the doc shows it: a ``python -m fmtbench``
process in a fresh directory holding the files the commands name (``MAKE``: made by fmtbench
itself), its trailing ``# comment`` removed, ``< FILE`` as its stdin and ``> FILE`` as its
stdout. It must exit 0; each output it names (``-o``, bench's ``--json``, convert's target,
``> FILE``) is removed first and must exist afterwards, not empty; a command that names no
output must print something. ``ADAPTED`` lists the only changes made, to keep the run short.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import fmtbench
from fmtbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}  # console: "$ " lines are commands, others output

#: Lines shown but not run, with the reason. Every line of a shell block that is not a
#: fmtbench command must be here (test_every_shown_line_is_run_or_skipped).
SKIPPED = {
    "python3 -m venv .venv && .venv/bin/pip install -q '.[formats]' && .venv/bin/fmtbench bench --json results.json": (
        "makes a virtual environment and installs fmtbench: CI (.ci/run) does so (pip install ."
        " in a fresh venv); the `fmtbench bench` it ends with is README.md's `fmtbench bench`,"
        " run here"
    ),
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' -e ./examples/plugin && .venv/bin/python -m pytest -q -n auto": (
        "the test command: CI (.ci/run) runs it, read from the README, and it runs this test"
    ),
    "pip install ./examples/plugin": (
        "installs a package: the README's test command installs the plugin for the commands"
        " after it, and CI (.ci/run) installs it in a fresh venv and runs them there too"
    ),
    "pytest -q tests/test_corpus_json.py tests/test_corpus_xml.py tests/test_corpus_msgpack.py tests/test_fuzz_decoders.py": (
        "test modules of this suite: every test run runs them"
    ),
    "HYPOTHESIS_PROFILE=thorough pytest -q tests/test_fuzz_decoders.py": (
        "a longer run of a test module of this suite: every test run runs it"
    ),
    "python fuzz/fuzz_decoders.py xml fuzz/corpus/xml -max_total_time=120": (
        "needs atheris (no dependency of fmtbench) and runs for two minutes"
    ),
}

#: Commands run changed, to keep the test short, with the reason: only options are added.
ADAPTED = {
    # The whole suite is 259 timings, over a minute, and still 22 s with --quick on two
    # cores: every dataset runs here, quick, for one format.
    "fmtbench bench": "fmtbench bench --quick --formats msgpack",
    # 12 s at full length, 3 s with --quick.
    "fmtbench bench log order --formats protobuf,json,msgpack --json run.json": (
        "fmtbench bench log order --formats protobuf,json,msgpack --json run.json --quick"
    ),
    # Every JSON and MessagePack library: quick.
    "fmtbench bench order --formats json,msgpack --libraries --json libs.json": (
        "fmtbench bench order --formats json,msgpack --libraries --json libs.json --quick"
    ),
    # 10 s at full length, 3 s with --quick.
    "fmtbench bench --schema my.yaml --input mine.jsonl --json mine.json": (
        "fmtbench bench --schema my.yaml --input mine.jsonl --json mine.json --quick"
    ),
}

#: Commands that are gates: status 1 is their answer ("a regression"), not a failure, so
#: either status passes, provided status 1 comes with nothing on stderr.
GATES = {
    "fmtbench compare before.json after.json --fail-on regression",
    # docs/evolution.md: orders_v2.yaml breaks some formats, as the doc shows.
    "fmtbench schema diff orders_v1.yaml orders_v2.yaml",
    "fmtbench schema diff orders_v1.yaml orders_v2.yaml --formats protobuf,json,avro --markdown",
    "fmtbench schema diff orders_v1.yaml orders_v2.yaml --json > diff.json",
    "fmtbench schema diff orders_v1.yaml orders_v2.yaml --formats protobuf,json,avro --prove"
    " --records 50",
}

#: A command naming one of these words needs a module a plain install lacks; without it the
#: command is skipped.
NEEDS = {
    "plot": "matplotlib",  # the plot extra (the test extra has it)
    "lpjson": "fmtbench_lpjson",  # examples/plugin, installed by the README's test command
}

#: The schema of the docs' own records (my.yaml): a record type Event, nested, with a list.
MY_SCHEMA = """\
schema: docs.events
root: Event
doc: Application events, the records of the documentation's examples.
enums:
  Level: [DEBUG, INFO, WARN, ERROR]
messages:
  Event:
    fields:
      id: uint64 = 1
      at: timestamp = 2
      level: Level = 3
      message: string = 4
      tags: list<string> = 5
      source: Source = 6
  Source:
    fields:
      host: string = 1
      pid: optional int32 = 2
"""
#: The same with a field my.yaml lacks: export.xml's records, for --drop-unknown.
WIDER_SCHEMA = MY_SCHEMA.replace(
    "      source: Source = 6\n", "      source: Source = 6\n      trace: string = 7\n"
)

#: The files the commands name, made in this order in the fixture directory.
MAKE = [
    "generate --schema shop.avsc --type Line -n 20 --seed 1 -o lines.jsonl",
    "convert lines.jsonl lines.avro --schema shop.avsc --type Line -q",
    "generate --schema my.yaml -n 40 --seed 1 -o mine.jsonl",
    "generate --schema my.yaml -n 40 --seed 2 -o in.jsonl",
    "generate --schema my.yaml -n 40 --seed 3 -o events.jsonl",
    "generate --schema my.yaml -n 40 --seed 4 -o upload.jsonl",
    "generate --schema my.yaml -n 40 --seed 5 -o export.jsonl",
    "generate --schema wider.yaml -n 40 --seed 6 -o export.xml",
    "generate --schema my.yaml -n 20 --seed 7 -o shards/part-1.jsonl",
    "generate --schema my.yaml -n 20 --seed 8 -o shards/part-2.jsonl",
    "generate order -n 10 -o orders.jsonl",
    "generate order -n 10 -o orders.jsonl.gz",
    "convert orders.jsonl orders.json --schema order",
    "generate log -n 20 --seed 1 -o logs/1.jsonl",
    "generate log -n 20 --seed 2 -o logs/2.jsonl",
    "generate log -n 20 --seed 3 -o a.jsonl",
    "generate log -n 20 --seed 4 -o b.jsonl",
    "convert b.jsonl b.xml --schema log",
    "convert b.jsonl c.pbd --schema log",
    "bench log order --quick --formats protobuf,json,msgpack --json old.json",
    "bench log order --quick --formats protobuf,json,msgpack --json new.json",
    "bench order --quick --formats json,msgpack --libraries --json libs.json",
]
MAKE_WITH_PLUGIN = ["convert orders.jsonl orders.lpjson --schema order"]
#: Results files under the names the docs give them: two real runs.
COPIES = {
    "before.json": "old.json",
    "after.json": "new.json",
    "run.json": "new.json",
    "results.json": "new.json",
}


@dataclass(frozen=True)
class Shown:
    """One command line of a doc: where, and its text without a prompt or a comment."""

    doc: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def _blocks(path: Path) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """The fenced code blocks of a Markdown file: (language, [(line number, line)])."""
    fence = ""
    language = ""
    body: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        opening = re.match(r"\s*(`{3,}|~{3,})\s*([^\s`]*)", line)
        if not fence:
            if opening:
                fence, language, body = opening.group(1), opening.group(2).lower(), []
        elif re.fullmatch(r"\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*", line):
            yield language, body
            fence = ""
        else:
            body.append((number, line))
    assert not fence, f"{path.name}: a code block is not closed"


def _without_comment(text: str) -> str:
    """``text`` without a trailing ``# comment``: the first ``#`` starting a word outside
    quotes, as the shell reads it (``shlex.split(text, comments=True)``)."""
    for match in re.finditer(r"(?:^|(?<=\s))#", text):
        head = text[: match.start()]
        try:
            tokens = shlex.split(head)
        except ValueError:  # inside quotes
            continue
        assert tokens == shlex.split(text, comments=True), text
        return head.strip()
    return text.strip()


def _commands(path: Path) -> Iterator[Shown]:
    return _commands_of(path, path.relative_to(ROOT).as_posix())


def _commands_of(path: Path, doc: str) -> Iterator[Shown]:
    """The command lines of ``path``'s shell blocks, named ``doc``."""
    for language, body in _blocks(path):
        if language not in SHELL:
            continue
        start, parts = 0, list[str]()
        for number, line in body:
            if not parts:
                if language == "console" and not line.startswith("$ "):
                    continue  # output
                line = line.removeprefix("$ ")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                start = number
            parts.append(line.strip().removesuffix("\\").strip())
            if not line.rstrip().endswith("\\"):
                yield Shown(doc, start, _without_comment(" ".join(parts)))
                parts = []
        assert not parts, f"{doc}:{start}: a line continues past the end of its block"


SHOWN = [shown for path in DOCS for shown in _commands(path)]


def _needed_module(text: str) -> str | None:
    for word, module in NEEDS.items():
        if re.search(rf"\b{word}\b", text):
            return module
    return None


def _environment() -> dict[str, str]:
    """The environment of a fmtbench process: this fmtbench first on the path."""
    env = dict(os.environ)
    package_root = str(Path(fmtbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _fmtbench(argv: list[str]) -> None:
    """Make a fixture with fmtbench, failing on a non-zero status. In-process, but for
    ``bench``: its ``gc.collect()`` before each timing would walk every object the tests
    before this one left in the process (three to eight times as long in a whole run)."""
    if argv[0] != "bench":
        assert main(argv) == 0, argv
        return
    done = subprocess.run(
        [sys.executable, "-m", "fmtbench", *argv],
        env=_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, (argv, done.stderr.decode(errors="replace"))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of every file the commands name, each made by fmtbench."""
    where = tmp_path_factory.mktemp("docs-files")
    (where / "my.yaml").write_text(MY_SCHEMA)
    (where / "wider.yaml").write_text(WIDER_SCHEMA)
    # The .proto files of docs/schema.md's "Importing .proto files".
    shutil.copyfile(ROOT / "tests/data/proto2/station.proto", where / "station.proto")
    shutil.copytree(ROOT / "tests/data/otlp", where / "otlp")
    # The .avsc of docs/schema.md's "Importing .avsc files".
    shutil.copyfile(ROOT / "tests/data/avro/shop.avsc", where / "shop.avsc")
    # The schema pairs of docs/evolution.md.
    for name in ("orders_v1.yaml", "orders_v2.yaml", "orders_note.yaml"):
        shutil.copyfile(ROOT / "tests/data/evolution" / name, where / name)
    (where / "shards").mkdir()
    (where / "logs").mkdir()
    plugin = importlib.util.find_spec(NEEDS["lpjson"]) is not None
    make = MAKE + (MAKE_WITH_PLUGIN if plugin else [])
    with contextlib.chdir(where):
        for command in make:
            _fmtbench(shlex.split(command))
    for name, source in COPIES.items():
        shutil.copyfile(where / source, where / name)
    return where


def _redirected(args: list[str]) -> tuple[list[str], str | None, str | None]:
    """``args`` without ``< FILE`` and ``> FILE``, and those files."""
    rest: list[str] = []
    stdin = stdout = None
    words = iter(args)
    for word in words:
        if word == "<":
            stdin = next(words)
        elif word == ">":
            stdout = next(words)
        else:
            assert not re.fullmatch(r"\d*[<>].*|[|&;].*", word), (
                f"shell syntax this test cannot run: {word}"
            )
            rest.append(word)
    return rest, stdin, stdout


def _named_outputs(args: list[str]) -> list[str]:
    """The files a command says it writes: ``-o``/``--output``, bench's ``--json``,
    convert's target (the last argument before the first option)."""
    named = [value for flag, value in itertools.pairwise(args) if flag in ("-o", "--output")]
    if args[1] == "bench":
        named += [value for flag, value in itertools.pairwise(args) if flag == "--json"]
    if args[1] == "convert":
        positional = []
        for word in args[2:]:
            if word.startswith("-") and word != "-":
                break
            positional.append(word)
        named.append(positional[-1])
    return [name for name in named if name != "-"]


def _written_badly(path: Path) -> str | None:
    """What is wrong with an output: missing, empty, or a directory with an empty file."""
    if not path.exists():
        return "not written"
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    if not files:
        return "an empty directory"
    empty = [f.relative_to(path.parent).as_posix() for f in files if f.stat().st_size == 0]
    return f"empty: {', '.join(empty)}" if empty else None


@pytest.mark.parametrize("shown", SHOWN, ids=[s.where for s in SHOWN])
def test_shown_command_runs(shown: Shown, prepared: Path, tmp_path: Path) -> None:
    if shown.text in SKIPPED:
        pytest.skip(f"{shown.where}: {SKIPPED[shown.text]}")
    if not shown.text.startswith("fmtbench "):
        pytest.fail(f"{shown.where}: `{shown.text}` is neither a fmtbench command nor in SKIPPED")
    module = _needed_module(shown.text)
    if module:
        pytest.importorskip(module)
    text = ADAPTED.get(shown.text, shown.text)
    args, stdin, stdout = _redirected(shlex.split(text))
    outputs = _named_outputs(args) + ([stdout] if stdout else [])
    work = tmp_path / "work"
    shutil.copytree(prepared, work)
    for name in outputs:  # so that what is found afterwards is this command's
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        target.unlink(missing_ok=True)
    with contextlib.ExitStack() as files:
        stdin_file = files.enter_context(open(work / stdin, "rb")) if stdin else subprocess.DEVNULL
        stdout_file = files.enter_context(open(work / stdout, "wb")) if stdout else subprocess.PIPE
        done = subprocess.run(
            [sys.executable, "-m", "fmtbench", *args[1:]],
            cwd=work,
            env=_environment(),
            stdin=stdin_file,
            stdout=stdout_file,
            stderr=subprocess.PIPE,
            timeout=300,
        )
    gate = text in GATES and done.returncode == 1 and not done.stderr
    if done.returncode != 0 and not gate:
        said = done.stderr.decode(errors="replace").strip()
        pytest.fail(f"{shown.where}: `{text}` exited with status {done.returncode}:\n{said}")
    for name in outputs:
        problem = _written_badly(work / name)
        if problem:
            pytest.fail(f"{shown.where}: `{text}`: {name}: {problem}")
    if not outputs and not done.stdout.strip():
        pytest.fail(f"{shown.where}: `{text}` printed nothing")


def test_every_doc_with_a_shell_block_is_read() -> None:
    # The reader finds the commands: every doc known to show some, and their count.
    docs = {s.doc for s in SHOWN}
    assert {"README.md", "docs/datasets.md", "docs/explain.md", "docs/plugins.md"} <= docs
    assert {"docs/reports.md", "docs/scaling.md", "docs/hardening.md"} <= docs
    assert sum(s.text.startswith("fmtbench ") for s in SHOWN) >= 35


def test_tables_name_only_shown_commands() -> None:
    # A stale entry would hide nothing, but would claim a command is handled that is gone.
    texts = {s.text for s in SHOWN}
    assert set(SKIPPED) <= texts, set(SKIPPED) - texts
    assert set(ADAPTED) <= texts, set(ADAPTED) - texts
    for shown, run in ADAPTED.items():
        assert run.startswith(shown + " "), f"{run!r} changes more than options: {shown!r}"


def test_no_command_hides_outside_a_shell_block() -> None:
    # A command in a block of another language (or none) would not be run: it must not be.
    for path in DOCS:
        for language, body in _blocks(path):
            if language in SHELL:
                continue
            for number, line in body:
                assert not re.match(r"(\$ )?fmtbench ", line), (
                    f"{path.relative_to(ROOT)}:{number}: a command outside a ```sh block"
                )


def test_every_shown_line_is_run_or_skipped() -> None:
    # A new line in a shell block is run, or its reason to be skipped is written above.
    unknown = [
        f"{s.where}: {s.text}"
        for s in SHOWN
        if s.text not in SKIPPED and not s.text.startswith("fmtbench ")
    ]
    assert not unknown, "neither a fmtbench command nor in SKIPPED:\n" + "\n".join(unknown)


def test_reader(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```sh\n"
        "# a comment line\n"
        "fmtbench convert 'a #1.jsonl' b.json --schema s   # a comment\n"
        "fmtbench bench \\\n"
        "    --quick\n"
        "```\n"
        "```yaml\n"
        "fmtbench generate log  # not a shell block\n"
        "```\n"
        "```console\n"
        "$ fmtbench datasets\n"
        "fmtbench: error: output, not a command\n"
        "````\n"
    )
    shown = [(s.line, s.text) for s in _commands_of(doc, "doc.md")]
    assert shown == [
        (3, "fmtbench convert 'a #1.jsonl' b.json --schema s"),
        (4, "fmtbench bench --quick"),
        (11, "fmtbench datasets"),
    ]
