"""Read MessagePack samples without a schema (``schema infer``).

The options are the codec's (``raw=False``, ``strict_map_key=False``, ``timestamp=0``), so
that what inference observes is what the inferred schema will later be asked to read, and
malformed input fails the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgpack

from fmtbench.codecs.format import SampleReader
from fmtbench.codecs.msgpack.keys import unique_map
from fmtbench.errors import DecodeError


def read_msgpack(data: bytes, exact_ints: bool) -> Iterator[Any]:
    # str must be UTF-8, maps may have integer keys, and timestamps stay Timestamp objects
    # so that nanoseconds are seen, not cut. Integers are always exact.
    # Duplicate map keys are refused, as the codec refuses them (keys.py).
    unpacker = msgpack.Unpacker(
        raw=False,
        strict_map_key=False,
        timestamp=0,
        use_list=True,
        object_pairs_hook=unique_map,
    )
    unpacker.feed(data)
    while True:
        start = unpacker.tell()
        try:
            yield unpacker.unpack()
        except msgpack.OutOfData:
            if start != len(data):
                raise DecodeError(
                    f"truncated: the sample ends {len(data) - start} bytes into a record",
                    position=f"byte offset {start}",
                ) from None
            return
        except msgpack.StackError:
            raise DecodeError(
                "nested too deeply to read: over 1024 containers", position=f"byte offset {start}"
            ) from None
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise DecodeError(
                f"malformed MessagePack: {exc or type(exc).__name__}",
                position=f"byte offset {start}",
            ) from None


MSGPACK = SampleReader(read_msgpack)
