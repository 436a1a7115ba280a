"""XML's native step for ``bench``: decode only, ``etree.fromstring`` with the same hardened
parser the codec uses. Writing XML is fmtbench's own string building, so it has no native
step to time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.codecs.xml.read import hardened_parser


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    parser = hardened_parser()

    def decode(data: bytes) -> Any:
        return etree.fromstring(data, parser)

    return NativeStep([], None, decode)


NATIVE = Native("lxml", step)
