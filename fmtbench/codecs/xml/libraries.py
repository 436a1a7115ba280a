"""XML's library cells for ``bench --libraries``: lxml, the standard library's ElementTree,
and xmltodict (reading only, as users reach for it).

fmtbench writes XML by building strings, so there is no tree of its own to start from: each
writing cell starts from the codec's document already parsed into the library's own nodes
(lxml elements for lxml, ElementTree elements for ElementTree; a library serializes only
its own nodes, and both hold the same document), and ends at bytes. That is the
serializer's whole work and nothing of fmtbench's (the schema walk and the lexical forms
are left out), so the cells are the floor a library gives, not a user's full program.

Reading ends at the library's tree of the codec's bytes: lxml with the codec's hardened
parser, ElementTree's ``fromstring`` (expat), xmltodict's ``parse`` with
``strip_whitespace=False`` (its default strips the text of every element, which would
change a string with spaces at its ends). The trees are compared in one form: the element's
name, attributes, text and children (``element_form``), or for xmltodict its own dict form,
built from the reference lxml element (``xmltodict_form``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep


def element_form(elem: Any) -> Any:
    """An lxml or ElementTree element as plain values: its (namespaced) tag, attributes,
    text and children, each child with the text after it (``tail``)."""
    if isinstance(elem, dict):
        return elem
    return {
        "tag": elem.tag,
        "attributes": dict(elem.attrib),
        "text": elem.text or "",
        # Keyed "position:name", so that a difference names the element, in order.
        "children": {
            f"{i}:{child.tag.rpartition('}')[2]}": element_form(child)
            for i, child in enumerate(elem)
        },
        "tail": elem.tail or "",
    }


def xmltodict_form(elem: Any) -> Any:
    """What ``xmltodict.parse(data, strip_whitespace=False)`` gives for the document whose
    root is this lxml element (a dict from xmltodict itself is returned as it is): names as
    written (``prefix:local``), namespace declarations as ``@xmlns`` attributes, text and
    tails joined as ``#text``, a repeated child as a list."""
    if isinstance(elem, dict):
        return elem
    return {_written(elem): _xmltodict_value(elem, {})}


def _written(elem: Any) -> str:
    local = elem.tag.rpartition("}")[2]
    return f"{elem.prefix}:{local}" if elem.prefix else local


def _xmltodict_value(elem: Any, outer: dict[str | None, str]) -> Any:
    out: dict[str, Any] = {}
    for prefix, uri in elem.nsmap.items():  # declared here: not in the parent's map
        if outer.get(prefix) != uri:
            out["@xmlns" if prefix is None else f"@xmlns:{prefix}"] = uri
    for name, value in elem.attrib.items():
        uri, _, local = name.rpartition("}")
        prefix = next((p for p, u in elem.nsmap.items() if p and "{" + u == uri), None)
        out[f"@{prefix}:{local}" if prefix else f"@{local}"] = value
    text = (elem.text or "") + "".join(child.tail or "" for child in elem)
    for child in elem:
        key, value = _written(child), _xmltodict_value(child, dict(elem.nsmap))
        if key not in out:
            out[key] = value
        elif isinstance(out[key], list):
            out[key].append(value)
        else:
            out[key] = [out[key], value]
    if not out:
        return text or None
    if text:
        out["#text"] = text
    return out


def _reference(codec: Codec, records: Sequence[Record]) -> tuple[list[bytes], list[Any]]:
    """The codec's bytes of each record and their lxml elements (the reference reading)."""
    from lxml import etree

    from fmtbench.codecs.xml.read import hardened_parser

    parser = hardened_parser()
    blobs = [codec.encode(r) for r in records]
    return blobs, [etree.fromstring(b, parser) for b in blobs]


def lxml_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    from lxml import etree

    from fmtbench.codecs.xml.read import hardened_parser

    _, elements = _reference(codec, records)
    parser = hardened_parser()

    def encode(elem: Any) -> bytes:
        return etree.tostring(elem, xml_declaration=True, encoding="UTF-8")

    def decode(data: bytes) -> Any:
        return etree.fromstring(data, parser)

    return LibraryStep(elements, encode, decode, expected=elements, tree_of=element_form)


def elementtree_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    from xml.etree import ElementTree

    blobs, elements = _reference(codec, records)
    trees = [ElementTree.fromstring(b) for b in blobs]  # the same documents, its own nodes

    def encode(elem: Any) -> bytes:
        # Its own prefixes (ns0:) for the namespace: the same names, spelled otherwise.
        data: bytes = ElementTree.tostring(elem, encoding="utf-8", xml_declaration=True)
        return data

    decode: Callable[[bytes], Any] = ElementTree.fromstring
    return LibraryStep(trees, encode, decode, expected=elements, tree_of=element_form)


def xmltodict_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import xmltodict

    _, elements = _reference(codec, records)

    def decode(data: bytes) -> Any:
        return xmltodict.parse(data, strip_whitespace=False)

    return LibraryStep(elements, None, decode, expected=elements, tree_of=xmltodict_form)


def _lib(name: str, step: str, module: str) -> Library:
    return Library(name, f"fmtbench.codecs.xml.libraries:{step}", requires=(module,))


LIBRARIES = (
    _lib("lxml", "lxml_step", "lxml"),
    _lib("ElementTree (stdlib)", "elementtree_step", "xml.etree.ElementTree"),
    _lib("xmltodict", "xmltodict_step", "xmltodict"),
)
