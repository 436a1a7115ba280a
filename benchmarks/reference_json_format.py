"""JSON Lines -> length-delimited Protobuf the way a user would write it with protobuf alone.

The reference of the ``convert`` pair in ``ratios.py`` (GitHub issue 5): one
``json_format.Parse`` per line into the message class fmtbench compiles from the schema
(``fmtbench.schema.proto.message_classes``), serialized and framed with its varint length.
Only the class comes from fmtbench; parsing, checking and writing are protobuf's own::

    python benchmarks/reference_json_format.py in.jsonl out.pbd --schema log
"""

from __future__ import annotations

import argparse
import sys

from google.protobuf import json_format
from google.protobuf.internal.encoder import _VarintBytes  # the varint protobuf frames with

from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.proto import message_classes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSON Lines file, one record a line")
    parser.add_argument("output", help="length-delimited Protobuf file to write")
    parser.add_argument("--schema", default="log", help="schema file or built-in name")
    parser.add_argument("--type", default=None, help="record type (default: the root)")
    args = parser.parse_args(argv)
    schema = resolve_schema(args.schema)
    cls = message_classes(schema)[args.type or schema.root]
    parse = json_format.Parse
    with open(args.input, "rb") as src, open(args.output, "wb") as out:
        for line in src:
            if line.strip():
                data = parse(line, cls()).SerializeToString()
                out.write(_VarintBytes(len(data)))
                out.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
