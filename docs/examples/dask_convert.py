"""Convert a directory of shards with Dask: the same lossless conversion as ``fmtbench
convert``, run by an engine that can spread it over many machines.

Each shard is one partition. A task compiles the codecs once (per shard, inside the worker:
compiled codecs are not shipped over the network), streams the shard through a reader and
a writer, and writes its output atomically. Run it as is with the local synchronous
scheduler; point ``dask.config.set(scheduler=...)`` or a ``distributed.Client`` at a cluster
to scale out.

    python docs/examples/dask_convert.py 'shards/*.jsonl' out/ --schema log --to msgpack
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

try:
    import dask
    import dask.bag as db
except ImportError:
    sys.exit("dask_convert.py needs Dask: pip install 'fmtbench[dask]'")

from fmtbench.codecs import FORMATS, codec_for, format_for_path
from fmtbench.files import atomic_output, open_input
from fmtbench.schema.builtin import resolve_schema


def convert_shard(src: str, outdir: str, schema_ref: str, to_format: str) -> int:
    """One shard, record by record: decode validates, encode checks the target can hold it."""
    schema = resolve_schema(schema_ref)  # a path or a built-in name: cheap to ship
    decoder = codec_for(format_for_path(src), schema)
    encoder = codec_for(to_format, schema)
    dst = os.path.join(outdir, Path(src).stem + FORMATS[to_format].extensions[0])
    with open_input(src) as fin, atomic_output(dst) as fout:
        reader = decoder.reader(fin)
        writer = encoder.writer(fout, single=reader.single)
        for record in reader:
            writer.write(record)
        writer.close()
    return reader.count


def convert_shards(pattern: str, outdir: str, schema_ref: str, to_format: str) -> int:
    """Every shard matching ``pattern`` into ``outdir``; returns the number of records."""
    os.makedirs(outdir, exist_ok=True)
    shards = sorted(glob.glob(pattern))
    bag = db.from_sequence(shards, npartitions=max(1, len(shards)))
    counts = bag.map(convert_shard, outdir, schema_ref, to_format)
    with dask.config.set(scheduler="synchronous"):  # local and in-process; swap for a cluster
        return int(sum(counts.compute()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", help="quoted glob of the input shards")
    parser.add_argument("outdir")
    parser.add_argument("--schema", required=True)
    parser.add_argument("--to", required=True, choices=list(FORMATS))
    args = parser.parse_args()
    total = convert_shards(args.pattern, args.outdir, args.schema, args.to)
    print(f"{total} records -> {args.outdir}")


if __name__ == "__main__":
    main()
