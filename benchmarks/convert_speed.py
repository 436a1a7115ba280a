"""``fmtbench convert`` as whole processes (issue 16): against ``buf convert``, and in records
and megabytes a second.

Two jobs, each timed from process start to exit, the sides interleaved round by round (in
alternating order) so that drift of a shared machine hits both alike:

- **One batch message against buf.** 100,000 ``log`` records as one Protobuf message of a
  ``Batch { repeated AccessEvent events = 1; }`` schema (about 25 MB), converted protobuf ->
  ProtoJSON and back by ``buf convert`` (Go's protobuf-go and protojson, from npm's
  ``@bufbuild/buf`` in ``peers/``) and by ``fmtbench convert`` (``--to protojson``: what buf
  writes; plain ``json`` as well). Both outputs are compared before anything is reported.
- **JSON Lines -> MessagePack and -> delimited Protobuf** on the same records, one worker and
  the default workers, reported as records/s and MB/s of input.

fmtbench is timed as installed: its modules' bytecode is compiled first (``compileall``, as
pip does at install), so that no process pays for compiling them from source, which costs
0.15 s a process where bytecode is never written (``PYTHONDONTWRITEBYTECODE``, a read-only
checkout) and which buf, a compiled binary, never pays.

Run from the repository root::

    .venv/bin/python benchmarks/convert_speed.py                 # 100,000 records, 3 rounds
    .venv/bin/python benchmarks/convert_speed.py --records 20000 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUF = ROOT / "peers" / "node_modules" / ".bin" / "buf"
FMTBENCH = [sys.executable, "-m", "fmtbench"]


def batch_schema(folder: Path) -> Path:
    """The built-in ``log`` schema with a root ``Batch`` holding a list of its records."""
    text = (ROOT / "fmtbench" / "schemas" / "log.yaml").read_text()
    text = text.replace("root: AccessEvent", "root: Batch")
    batch = "  Batch:\n    doc: Many events.\n    fields:\n      events: list<AccessEvent> = 1\n"
    text = text.replace("messages:\n", "messages:\n" + batch, 1)
    path = folder / "batch.yaml"
    path.write_text(text)
    return path


def prepare(folder: Path, count: int) -> dict[str, Path]:
    """The inputs: the batch message, its .proto module for buf, and the JSON Lines file."""
    from fmtbench.codecs import codec_for
    from fmtbench.generate import load_dataset
    from fmtbench.schema.builtin import resolve_schema

    schema_path = batch_schema(folder)
    records = list(load_dataset("log").generator().records(count))
    schema = resolve_schema(str(schema_path))
    paths = {"schema": schema_path, "pb": folder / "batch.binpb", "jsonl": folder / "log.jsonl"}
    paths["pb"].write_bytes(codec_for("protobuf", schema).encode({"events": records}))
    log = resolve_schema("log")
    paths["jsonl"].write_bytes(codec_for("jsonl", log).encode_many(records))
    module = folder / "module"
    module.mkdir()
    run([*FMTBENCH, "schema", "export", str(schema_path), "--to", "proto", "-o", str(module / "batch.proto")])  # fmt: skip
    paths["module"] = module
    return paths


def run(command: list[str]) -> float:
    """Seconds one whole process takes, start to exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(rounds):
        for name in names if i % 2 == 0 else reversed(names):
            times[name].append(run(commands[name]))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not BUF.exists():
        print(f"buf is not installed at {BUF}: npm ci --prefix peers", file=sys.stderr)
        return 1
    # Bytecode beside the sources (__pycache__, ignored by git), whatever the environment says.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fmtbench")], check=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p = prepare(folder, args.records)
        out = {k: folder / k for k in ("buf.json", "ours.protojson", "ours.json", "buf.binpb", "ours.binpb", "ours2.binpb", "o.msgpack", "o.pbd", "o1.msgpack", "o1.pbd")}  # fmt: skip
        buf = [str(BUF), "convert", str(p["module"]), "--type", "web.log.Batch"]
        ours = [*FMTBENCH, "convert", "--schema", str(p["schema"]), "-q"]
        log = [*FMTBENCH, "convert", "--schema", "log", "-q"]
        to_json = {
            "buf protobuf -> json": [*buf, "--from", str(p["pb"]), "--to", str(out["buf.json"])],
            "fmtbench protobuf -> protojson": [*ours, str(p["pb"]), str(out["ours.protojson"])],
            "fmtbench protobuf -> json": [*ours, str(p["pb"]), str(out["ours.json"])],
        }
        times = interleaved(to_json, args.rounds)
        theirs = json.loads(out["buf.json"].read_bytes())
        if json.loads(out["ours.protojson"].read_bytes()) != theirs:
            print("buf and fmtbench wrote different ProtoJSON", file=sys.stderr)
            return 1
        back = {  # both read buf's own JSON, so the input is the same bytes
            "buf json -> protobuf": [
                *buf,
                "--from",
                str(out["buf.json"]) + "#format=json",
                "--to",
                str(out["buf.binpb"]),
            ],
            "fmtbench protojson -> protobuf": [
                *ours,
                "--from",
                "protojson",
                str(out["buf.json"]),
                str(out["ours.binpb"]),
            ],
            # fmtbench's plain JSON of the same message (written above), back.
            "fmtbench json -> protobuf": [*ours, str(out["ours.json"]), str(out["ours2.binpb"])],
        }
        times |= interleaved(back, args.rounds)
        if (
            not out["buf.binpb"].read_bytes()
            == out["ours.binpb"].read_bytes()
            == out["ours2.binpb"].read_bytes()
        ):
            print("note: buf and fmtbench wrote different protobuf bytes", file=sys.stderr)
        lines = {
            "fmtbench jsonl -> msgpack": [*log, str(p["jsonl"]), str(out["o.msgpack"])],
            "fmtbench jsonl -> protobuf-delimited": [*log, str(p["jsonl"]), str(out["o.pbd"])],
            "fmtbench jsonl -> msgpack, 1 worker": [
                *log,
                "-j",
                "1",
                str(p["jsonl"]),
                str(out["o1.msgpack"]),
            ],
            "fmtbench jsonl -> protobuf-delimited, 1 worker": [
                *log,
                "-j",
                "1",
                str(p["jsonl"]),
                str(out["o1.pbd"]),
            ],
        }
        times |= interleaved(lines, args.rounds)
        pb_mb = p["pb"].stat().st_size / 1e6
        jsonl_mb = p["jsonl"].stat().st_size / 1e6
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.records:,} log records; batch message {pb_mb:.1f} MB; JSON Lines {jsonl_mb:.1f} MB; median of {args.rounds} interleaved rounds")  # fmt: skip
    for name, seconds in med.items():
        print(f"  {name:<48} {seconds:6.2f} s")
    for ours_job, buf_job in [
        ("fmtbench protobuf -> protojson", "buf protobuf -> json"),
        ("fmtbench protobuf -> json", "buf protobuf -> json"),
        ("fmtbench protojson -> protobuf", "buf json -> protobuf"),
        ("fmtbench json -> protobuf", "buf json -> protobuf"),
    ]:
        print(f"  {ours_job} / {buf_job}: {med[ours_job] / med[buf_job]:.2f}x (target <= 0.5x)")
    for name in lines:
        s = med[name]
        print(f"  {name}: {args.records / s:,.0f} records/s, {jsonl_mb / s:.1f} MB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
