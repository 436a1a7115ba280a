"""What fmtbench's lossless checks cost, each measured on and off side by side in one process.

A check that cannot be switched off by users (it guards the "lossless or an error" promise)
can still be switched off here, on a copy of the codec, so its cost is a ratio measured in
the same run on the same bytes: the two sides alternate pass by pass, and the table shows
the best pass of each and their ratio.

Run from the repository root::

    .venv/bin/python benchmarks/check_costs.py                # 2,000 records a dataset, 5 passes
    .venv/bin/python benchmarks/check_costs.py --records 200 --passes 2

Checks measured: ``protobuf varints over 64 bits`` (codecs/protobuf/overflow.py), message
decode of every built-in dataset.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.generate.dataset import builtin_datasets, load_dataset


def best(fn: Callable[[], object], passes: int, other: Callable[[], object]) -> tuple[float, float]:
    a, b = [], []
    for i in range(passes):
        for side, out in ((fn, a), (other, b)) if i % 2 == 0 else ((other, b), (fn, a)):
            start = time.perf_counter()
            side()
            out.append(time.perf_counter() - start)
    return min(a), min(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'dataset':10} {'check on':>10} {'check off':>10} {'ratio':>6}   protobuf decode, µs a record"
    )
    for name in builtin_datasets():
        ds = load_dataset(name)
        on = ProtobufCodec(ds.schema, ds.type_name)
        off = ProtobufCodec(ds.schema, ds.type_name)
        off._varints = False  # the search for varints over 64 bits, off
        data = [on.encode(r) for r in ds.generator().records(args.records)]
        t_on, t_off = best(
            lambda on=on, data=data: [on.decode(d) for d in data],
            args.passes,
            lambda off=off, data=data: [off.decode(d) for d in data],
        )
        n = len(data)
        print(f"{name:10} {t_on / n * 1e6:10.2f} {t_off / n * 1e6:10.2f} {t_on / t_off:6.2f}")


if __name__ == "__main__":
    main()
