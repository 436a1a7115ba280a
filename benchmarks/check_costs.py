"""What fmtbench's lossless checks cost, each measured on and off side by side in one process.

A check that cannot be switched off by users (it guards the "lossless or an error" promise)
can still be switched off here, on a copy of the codec, so its cost is a ratio measured in
the same run on the same bytes: the two sides alternate pass by pass, and the table shows
the best pass of each and their ratio.

Run from the repository root::

    .venv/bin/python benchmarks/check_costs.py                # 2,000 records a dataset, 5 passes
    .venv/bin/python benchmarks/check_costs.py --records 200 --passes 2

Checks measured, on the message decode of every built-in dataset (``ProtobufCodec.decode``):

- ``varints over 64 bits`` (codecs/protobuf/overflow.py): off, the codec is built with the
  search switched off *before* its decode is generated (fast_read.py writes the search into
  ``decode``; switching it off afterwards would change nothing);
- ``unknown fields`` (codec.py ``_unknown``, one ``UnknownFieldSet`` a message): off, the
  codec that ``--drop-unknown`` builds, whose walk does not look for them.

Both off is the decode with no lossless check at all: its ratio is what the checks cost
together.

And on ``convert``'s hot loop from JSON Lines to delimited Protobuf (json/block.py's
``encode_block``: a block of lines to framed messages, no record built), the checks it makes
on each block, each off on a codec of its own:

- ``duplicate keys`` (json/keys.py): msgspec keeps the last of two equal keys silently; off,
  the block's key proof vouches for every block;
- ``timestamp text`` (json/typed.py ``all_written``): only the shapes ``datetime`` reads
  exactly go the fast way (nanoseconds, offsets and the like take the exact path); off,
  every text is handed to ``datetime.fromisoformat``;
- ``float leaves`` (structs/bulk.py): an integer in a float field must be exact as a
  double, and a float32 one exact as a float32; off, upb takes them as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from unittest import mock

from fmtbench.codecs import codec_for
from fmtbench.codecs.json import block
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.json.keys import KeyProof
from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protobuf.overflow import OverflowScan
from fmtbench.codecs.structs import direct
from fmtbench.generate.dataset import Dataset, builtin_datasets, load_dataset
from fmtbench.pump import pump
from fmtbench.schema.model import Schema

#: The block path's checks that ``block_codec`` can switch off.
BLOCK_CHECKS = ("keys", "stamps", "floats")


def best_of(sides: dict[str, Callable[[], object]], passes: int) -> dict[str, float]:
    """Each side's best pass; the sides take turns, in an order rotated pass by pass."""
    names = list(sides)
    out: dict[str, list[float]] = {k: [] for k in names}
    for i in range(passes):
        for k in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            sides[k]()
            out[k].append(time.perf_counter() - start)
    return {k: min(v) for k, v in out.items()}


def without_search(ds: Dataset, **options: Any) -> ProtobufCodec:
    """The codec with the search for varints over 64 bits off (see the module docstring)."""
    with mock.patch.object(OverflowScan, "__init__", _no_search):
        return ProtobufCodec(ds.schema, ds.type_name, **options)


_scan_init = OverflowScan.__init__


def _no_search(self: OverflowScan, schema: Schema, type_name: str) -> None:
    _scan_init(self, schema, type_name)
    self.needed = False


def block_codec(ds: Dataset, off: frozenset[str] = frozenset()) -> JsonCodec:
    """A JSON Lines codec whose block path skips the checks named in ``off``
    (``BLOCK_CHECKS``); its line-by-line path keeps them all."""
    codec = codec_for("jsonl", ds.schema, ds.type_name)
    assert isinstance(codec, JsonCodec)
    keys = _TrustedKeys(ds.schema, ds.type_name) if "keys" in off else codec._keys
    with contextlib.ExitStack() as patches:
        # Both are read when the block decoder compiles its direct path (structs/direct.py).
        if "stamps" in off:
            patches.enter_context(mock.patch.object(block, "all_written", _any_text))
        if "floats" in off:
            patches.enter_context(mock.patch.object(direct, "_gatherer", _no_floats))
        codec.block_decoder = block.BlockDecoder(
            codec._typed, ds.type_name, keys, codec._safe_size, codec.limits.max_record_bytes
        )
    return codec


def _any_text(texts: list[str]) -> bool:
    return True


def _no_floats(*args: Any, **kwargs: Any) -> None:
    return None


class _TrustedKeys(KeyProof):
    """The key proof of a block that vouches for every block."""

    def unique_structs(self, data: bytes, structs: list[Any]) -> bool:
        return True


def block_convert(reader: JsonCodec, writer: Any, lines: bytes) -> bytes:
    """``lines`` (JSON Lines) converted as ``convert`` converts them, in memory."""
    out = io.BytesIO()
    records = writer.writer_for_decoded(out)
    pump(reader.reader(io.BytesIO(lines)), records)
    records.close()
    return out.getvalue()


def block_table(records: int, passes: int) -> None:
    print()
    print("JSON Lines -> delimited Protobuf, convert's block path, µs a record (best pass)")
    sides = ["checked", *(f"no {c}" for c in BLOCK_CHECKS), "none"]
    print(f"{'dataset':10}" + "".join(f" {k:>10}" for k in sides) + f" {'all checks':>11}")
    for name in builtin_datasets():
        ds = load_dataset(name)
        writer = codec_for("protobuf-delimited", ds.schema, ds.type_name)
        jsonl = codec_for("jsonl", ds.schema, ds.type_name)
        data = b"".join(jsonl.encode(r) + b"\n" for r in ds.generator().records(records))
        offs = [frozenset(), *(frozenset({c}) for c in BLOCK_CHECKS), frozenset(BLOCK_CHECKS)]
        codecs = dict(zip(sides, (block_codec(ds, off) for off in offs), strict=True))
        times = best_of(
            {k: partial(block_convert, c, writer, data) for k, c in codecs.items()}, passes
        )
        us = {k: t / records * 1e6 for k, t in times.items()}
        print(
            f"{name:10}"
            + "".join(f" {us[k]:10.2f}" for k in sides)
            + f" {us['checked'] / us['none']:10.2f}x"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    print("protobuf message decode, µs a record (best pass); each check's cost as a ratio")
    print(
        f"{'dataset':10} {'checked':>8} {'no >64':>8} {'no unk':>8} {'neither':>8}"
        f" {'>64 bits':>9} {'unknown':>8} {'both':>6}"
    )
    for name in builtin_datasets():
        ds = load_dataset(name)
        on = ProtobufCodec(ds.schema, ds.type_name)
        sides = {
            "on": on,
            "no search": without_search(ds),
            "no unknown": ProtobufCodec(ds.schema, ds.type_name, drop_unknown=True),
            "neither": without_search(ds, drop_unknown=True),
        }
        data = [on.encode(r) for r in ds.generator().records(args.records)]
        times = best_of(
            {k: (lambda c=c, data=data: [c.decode(d) for d in data]) for k, c in sides.items()},
            args.passes,
        )
        n = len(data)
        us = {k: t / n * 1e6 for k, t in times.items()}
        print(
            f"{name:10} {us['on']:8.2f} {us['no search']:8.2f} {us['no unknown']:8.2f}"
            f" {us['neither']:8.2f} {us['on'] / us['no search']:8.2f}x"
            f" {us['on'] / us['no unknown']:7.2f}x {us['on'] / us['neither']:5.2f}x"
        )
    block_table(args.records, args.passes)


if __name__ == "__main__":
    main()
