"""Per-byte cost of the codecs on an imported schema beside the built-in datasets (issue 13).

An imported schema must run through the same fast paths as a hand-written one: the
OpenTelemetry trace export request (imported from ``tests/data/otlp`` with protoc) is
encoded and decoded by every format, and its time per byte is compared with the ``log`` and
``order`` datasets' in the same process, passes alternating, best pass of each.

Run from the repository root::

    .venv/bin/python benchmarks/per_byte.py                  # 5 passes, ~2 MB of each
    .venv/bin/python benchmarks/per_byte.py --passes 3 --bytes 500000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from fmtbench.codecs import codec_for
from fmtbench.generate import RecordGenerator
from fmtbench.generate.dataset import load_dataset
from fmtbench.schema.protofile import import_proto

ROOT = Path(__file__).resolve().parent.parent
OTLP = ROOT / "tests" / "data" / "otlp"
TRACE = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
FORMATS = ("protobuf-delimited", "protojsonl", "jsonl", "msgpack", "xml")


def _workloads(size: int) -> dict[str, tuple[Any, str | None, list[dict[str, Any]]]]:
    out = {}
    for name in ("log", "order"):
        ds = load_dataset(name)
        out[name] = (ds.schema, ds.type_name, list(ds.generator().records(200)))
    schema = import_proto(OTLP / "opentelemetry/proto/collector/trace/v1/trace_service.proto", [OTLP], TRACE)  # fmt: skip
    out["otlp trace"] = (schema, None, list(RecordGenerator(schema, None, seed=1).records(20)))
    # Repeat each sample until it weighs about ``size`` bytes in Protobuf.
    for name, (schema, type_name, records) in out.items():
        one = len(codec_for("protobuf-delimited", schema, type_name).encode_many(records))
        out[name] = (schema, type_name, records * max(1, size // one))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--bytes", type=int, default=2_000_000)
    args = parser.parse_args()
    work = _workloads(args.bytes)
    # (format, workload, step) -> best ns per byte of that format's own bytes
    best: dict[tuple[str, str, str], float] = {}
    for p in range(args.passes):
        order = list(work.items()) if p % 2 == 0 else list(reversed(work.items()))
        for name, (schema, type_name, records) in order:
            for fmt in FORMATS:
                codec = codec_for(fmt, schema, type_name)
                start = time.perf_counter()
                data = codec.encode_many(records)
                mid = time.perf_counter()
                n = len(codec.decode_many(data))
                end = time.perf_counter()
                assert n == len(records)
                for step, t in (("encode", mid - start), ("decode", end - mid)):
                    key = (fmt, name, step)
                    best[key] = min(best.get(key, float("inf")), t / len(data) * 1e9)
    names = list(work)
    print(
        f"{'format':20} {'step':7}"
        + "".join(f"{n:>12}" for n in names)
        + f"{'otlp/log':>10}{'otlp/order':>11}"
    )
    for fmt in FORMATS:
        for step in ("encode", "decode"):
            row = [best[(fmt, n, step)] for n in names]
            ratios = f"{row[2] / row[0]:10.2f}{row[2] / row[1]:11.2f}"
            print(f"{fmt:20} {step:7}" + "".join(f"{v:12.2f}" for v in row) + ratios)
    print("ns per byte of each format's own encoding (best of", args.passes, "passes)")


if __name__ == "__main__":
    main()
