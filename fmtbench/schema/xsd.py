"""Compile a schema into an XSD 1.0 document describing fmtbench's XML mapping.

The mapping (implemented by ``fmtbench/codecs/xml/``): every element is in
``schema.namespace`` (elementFormDefault qualified), attributes are unqualified. A record is
an element named after its message type; each field is a child element named after the field,
in schema order, except ``xml: attribute`` fields, which are attributes of the message element.
A list repeats the field element; a map repeats it too, each entry carrying a ``key``
attribute. Many records sit in a ``records`` wrapper element.

The text is built by hand (no lxml) so this module depends on nothing but the schema model.
"""

from __future__ import annotations

from fmtbench.errors import SchemaError
from fmtbench.schema.defaults import text_default
from fmtbench.schema.model import (
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)

XS = "http://www.w3.org/2001/XMLSchema"

#: The built-in XSD type of each scalar kind; timestamps get a named restriction (below).
SCALAR_XSD: dict[str, str] = {
    "bool": "xs:boolean",
    "int32": "xs:int",
    "int64": "xs:long",
    "uint32": "xs:unsignedInt",
    "uint64": "xs:unsignedLong",
    "float32": "xs:float",
    "float64": "xs:double",
    "string": "xs:string",
    "bytes": "xs:base64Binary",
    "timestamp": "tns:timestamp",
    "duration": "tns:duration",
}

# xs:dateTime also admits a missing time zone (a "local" time) and years beyond 9999, which
# a canonical timestamp cannot hold; the pattern keeps the XSD as strict as the decoder.
# "timestamp" cannot clash with a user type: scalar kinds are reserved type names.
_TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+\-]\d{2}:\d{2})"

# xs:duration also admits years and months, which have no fixed length: a canonical
# duration is days, hours, minutes and seconds (to the nanosecond).
_DURATION_PATTERN = r"-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"

#: The attribute that carries a map entry's key.
MAP_KEY_ATTRIBUTE = "key"


#: libxml2 reads element and attribute names of at most 50,000 characters
#: (XML_MAX_NAME_LENGTH; measured: 50,001 refused), so a longer name could be written and
#: never read.
XML_MAX_NAME = 50_000


def _uses_duration(schema: Schema) -> bool:
    def leaf(t: FieldType) -> FieldType:
        return t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t

    return any(
        leaf(f.type) == Scalar("duration") for m in schema.messages.values() for f in m.fields
    )


def _decimals(schema: Schema) -> list[Scalar]:
    """The decimal types the schema uses, each once, in order of precision and scale."""
    found: set[Scalar] = set()
    for m in schema.messages.values():
        for f in m.fields:
            t = f.type.item if isinstance(f.type, ListOf) else f.type
            t = t.value if isinstance(t, MapOf) else t
            if isinstance(t, Scalar) and t.kind == "decimal":
                found.add(t)
    return sorted(found, key=lambda t: (t.precision, t.scale))


def decimal_type_name(t: Scalar) -> str:
    """``decimal-10-2``: a hyphen, which no schema type name has, so it clashes with none."""
    return f"decimal-{t.precision}-{t.scale}"


def _long_name(name: str) -> str:
    return f"{name[:40]}… ({len(name):,} characters)"


def check_xml_mapping(schema: Schema) -> None:
    """Refuse the few schemas the XML mapping cannot express, naming the field.

    The loader accepts them because they are fine for every other format.
    """
    for msg in schema.messages.values():
        for name in (msg.name, *(f.name for f in msg.fields)):
            if len(name) > XML_MAX_NAME:
                raise SchemaError(
                    f"the name {_long_name(name)} is too long for XML: its readers (libxml2)"
                    f" read names of at most {XML_MAX_NAME:,} characters"
                )
        for f in msg.fields:
            where = f"{msg.name}.{f.name}"
            if f.xml_attribute and f.oneof is not None:
                raise SchemaError(
                    f"{where}: a member of oneof {f.oneof} cannot be an XML attribute (a"
                    " oneof is a choice of elements); make it an element"
                )
            if f.xml_attribute and f.name == "xmlns":
                raise SchemaError(
                    f"{where}: an XML attribute cannot be named 'xmlns' (it declares a "
                    "namespace); make it an element or rename it"
                )
            if isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef):
                value = schema.messages[f.type.value.name]
                for vf in value.fields:
                    if vf.xml_attribute and vf.name == MAP_KEY_ATTRIBUTE:
                        raise SchemaError(
                            f"{where}: the map's values ({value.name}) have an XML attribute "
                            f"named {MAP_KEY_ATTRIBUTE!r}, which collides with the attribute "
                            "holding the map key; make it an element or rename it"
                        )


def xsd_text(schema: Schema) -> str:
    """The XSD of ``schema``'s XML mapping, as text ready to save (ends with a newline)."""
    check_xml_mapping(schema)
    return _XsdWriter(schema).render()


def escape(text: str) -> str:
    """Escape text for element content or a double-quoted attribute value."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


class _XsdWriter:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.lines: list[str] = []

    def line(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def annotation(self, depth: int, doc: str | None) -> None:
        if doc:
            self.line(depth, "<xs:annotation>")
            self.line(depth + 1, f"<xs:documentation>{escape(doc)}</xs:documentation>")
            self.line(depth, "</xs:annotation>")

    def render(self) -> str:
        s = self.schema
        ns = escape(s.namespace)
        self.lines.append('<?xml version="1.0" encoding="UTF-8"?>')
        self.line(
            0,
            f'<xs:schema xmlns:xs="{XS}" xmlns:tns="{ns}" targetNamespace="{ns}" '
            'elementFormDefault="qualified" attributeFormDefault="unqualified">',
        )
        self.annotation(1, s.doc)
        self.records_element()
        # The root type first, the rest in schema order: the file reads top-down.
        names = [s.root, *(n for n in s.messages if n != s.root)]
        for name in names:
            self.line(1, f'<xs:element name="{name}" type="tns:{name}"/>')
        for name in names:
            self.message_type(s.messages[name])
        for enum in s.enums.values():
            self.line(1, f'<xs:simpleType name="{enum.name}">')
            self.annotation(2, enum.doc)
            self.line(2, '<xs:restriction base="xs:string">')
            for value in enum.names:
                self.line(3, f'<xs:enumeration value="{value}"/>')
            self.line(2, "</xs:restriction>")
            self.line(1, "</xs:simpleType>")
        self.line(1, '<xs:simpleType name="timestamp">')
        self.annotation(2, "An instant in UTC or with an offset; nanosecond precision.")
        self.line(2, '<xs:restriction base="xs:dateTime">')
        self.line(3, f'<xs:pattern value="{escape(_TIMESTAMP_PATTERN)}"/>')
        self.line(2, "</xs:restriction>")
        self.line(1, "</xs:simpleType>")
        if _uses_duration(s):  # only then: the XSD of every other schema stays as it was
            self.line(1, '<xs:simpleType name="duration">')
            self.annotation(
                2, "A signed span in days, hours, minutes and seconds; nanosecond precision."
            )
            self.line(2, '<xs:restriction base="xs:duration">')
            self.line(3, f'<xs:pattern value="{escape(_DURATION_PATTERN)}"/>')
            self.line(2, "</xs:restriction>")
            self.line(1, "</xs:simpleType>")
        for t in _decimals(s):  # only those used: other schemas' XSDs stay as they were
            self.line(1, f'<xs:simpleType name="{decimal_type_name(t)}">')
            self.annotation(2, f"{t}: at most {t.precision} digits, {t.scale} after the point.")
            self.line(2, '<xs:restriction base="xs:decimal">')
            self.line(3, f'<xs:totalDigits value="{t.precision}"/>')
            self.line(3, f'<xs:fractionDigits value="{t.scale}"/>')
            self.line(2, "</xs:restriction>")
            self.line(1, "</xs:simpleType>")
        self.line(0, "</xs:schema>")
        return "\n".join(self.lines) + "\n"

    def records_element(self) -> None:
        # A choice of every message element, so the wrapper written by a codec compiled for
        # any record type validates; one file holds one type, which the reader checks.
        self.line(1, '<xs:element name="records">')
        self.annotation(2, "Many records of one type, in order.")
        self.line(2, "<xs:complexType>")
        self.line(3, '<xs:choice minOccurs="0" maxOccurs="unbounded">')
        names = [self.schema.root, *(n for n in self.schema.messages if n != self.schema.root)]
        for name in names:
            self.line(4, f'<xs:element ref="tns:{name}"/>')
        self.line(3, "</xs:choice>")
        self.line(2, "</xs:complexType>")
        self.line(1, "</xs:element>")

    def message_type(self, msg: Message) -> None:
        self.line(1, f'<xs:complexType name="{msg.name}">')
        self.annotation(2, msg.doc)
        self.message_body(msg, 2)
        self.line(1, "</xs:complexType>")

    def message_body(self, msg: Message, depth: int) -> None:
        """The particle and attributes of a message's complexType (or of an extension)."""
        self.line(depth, "<xs:sequence>")
        groups = {g.name: g for g in msg.oneofs}
        elements = [f for f in msg.fields if not f.xml_attribute]
        for i, f in enumerate(elements):
            if f.oneof is None:
                self.element(f, depth + 1)
                continue
            # A oneof is an optional choice of its members' elements, in its place in the
            # sequence (the loader keeps members together; they are never attributes).
            if i == 0 or elements[i - 1].oneof != f.oneof:
                self.line(depth + 1, '<xs:choice minOccurs="0">')
                self.annotation(depth + 2, groups[f.oneof].doc)
            start = f'<xs:element name="{f.name}" type="{self.type_name(f.type)}"'
            self.open_or_empty(depth + 2, start, "xs:element", f.doc)
            if i == len(elements) - 1 or elements[i + 1].oneof != f.oneof:
                self.line(depth + 1, "</xs:choice>")
        self.line(depth, "</xs:sequence>")
        for f in msg.fields:
            if f.xml_attribute:
                use = "optional" if f.optional else "required"
                # proto2's default: XSD's means the same for an absent optional attribute
                # (an element's would mean an empty element, so elements have none).
                default = (
                    f' default="{escape(text_default(f.type, f.default))}"'
                    if f.default is not None and f.optional
                    else ""
                )
                self.open_or_empty(
                    depth,
                    f'<xs:attribute name="{f.name}" type="{self.type_name(f.type)}"'
                    f' use="{use}"{default}',
                    "xs:attribute",
                    f.doc,
                )

    def open_or_empty(self, depth: int, start: str, tag: str, doc: str | None) -> None:
        """``<tag .../>``, or with an annotation inside when there is a doc."""
        if doc:
            self.line(depth, start + ">")
            self.annotation(depth + 1, doc)
            self.line(depth, f"</{tag}>")
        else:
            self.line(depth, start + "/>")

    def element(self, f: Field, depth: int) -> None:
        t = f.type
        if isinstance(t, ListOf):
            start = (
                f'<xs:element name="{f.name}" type="{self.type_name(t.item)}" '
                'minOccurs="0" maxOccurs="unbounded"'
            )
            self.open_or_empty(depth, start, "xs:element", f.doc)
            return
        if isinstance(t, MapOf):
            self.map_element(f, t, depth)
            return
        occurs = ' minOccurs="0"' if f.optional else ""
        start = f'<xs:element name="{f.name}" type="{self.type_name(t)}"{occurs}'
        self.open_or_empty(depth, start, "xs:element", f.doc)

    def map_element(self, f: Field, t: MapOf, depth: int) -> None:
        # Anonymous entry types: a named one could clash with a user's type name.
        self.line(depth, f'<xs:element name="{f.name}" minOccurs="0" maxOccurs="unbounded">')
        self.annotation(depth + 1, f.doc)
        self.line(depth + 1, "<xs:complexType>")
        content = "complexContent" if isinstance(t.value, MessageRef) else "simpleContent"
        self.line(depth + 2, f"<xs:{content}>")
        self.line(depth + 3, f'<xs:extension base="{self.type_name(t.value)}">')
        self.line(
            depth + 4,
            f'<xs:attribute name="{MAP_KEY_ATTRIBUTE}" type="{self.type_name(t.key)}" '
            'use="required"/>',
        )
        self.line(depth + 3, "</xs:extension>")
        self.line(depth + 2, f"</xs:{content}>")
        self.line(depth + 1, "</xs:complexType>")
        self.line(depth, "</xs:element>")

    def type_name(self, t: FieldType) -> str:
        if isinstance(t, Scalar) and t.kind == "decimal":
            return f"tns:{decimal_type_name(t)}"
        if isinstance(t, Scalar):
            return SCALAR_XSD[t.kind]
        if isinstance(t, EnumRef | MessageRef):
            return f"tns:{t.name}"
        raise AssertionError(f"{t} has no single XSD type")
