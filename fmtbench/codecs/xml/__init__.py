"""XML: records as namespaced elements, one record element or a ``<records>`` wrapper.

The codec (``codec.py``) writes text itself (``write.py``, with generated fast writers in
``fast_write.py``) and reads with a hardened lxml parse and a compiled walk (``read.py``),
trying a generated scanner first (``fast_read.py``). ``native.py`` and ``explain.py`` are
what ``bench`` and ``explain`` need of the format. This file only declares it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fmtbench.codecs.format import Export, Format
from fmtbench.codecs.xml.libraries import LIBRARIES

if TYPE_CHECKING:
    from fmtbench.schema.model import Schema


def xsd_file(schema: Schema, type_name: str | None) -> str:
    """An XML Schema of every message (the record type does not matter)."""
    from fmtbench.schema.xsd import xsd_text

    return xsd_text(schema)


def libxml2_version() -> Mapping[str, str]:
    """The parser doing XML's work is libxml2, versioned apart from its binding."""
    from lxml import etree

    return {"libxml2": ".".join(map(str, etree.LIBXML_VERSION))}


FORMATS = (
    Format(
        name="xml",
        evolution="xml",
        title="XML",
        codec="fmtbench.codecs.xml.codec:XmlCodec",
        extensions=(".xml",),
        order=30,
        single_form=True,
        library="lxml",
        distributions=("lxml", "pybase64"),
        versions=libxml2_version,
        native="fmtbench.codecs.xml.native:NATIVE",
        libraries=LIBRARIES,
        explain="fmtbench.codecs.xml.explain:RULES",
        export=Export("xsd", "an XML Schema (XSD 1.0)", xsd_file),
    ),
)
