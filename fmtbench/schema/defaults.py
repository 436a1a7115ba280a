"""proto2 field defaults (``[default = X]``): checked against the type, spelled as protoc does.

A default is metadata: what an absent optional (or required) field means to Protobuf readers.
The canonical record keeps the absence, so nothing here changes a value; these functions
check a schema's default and write it for the exported artifacts: the text protoc stores in
a descriptor's ``default_value`` (so the codec's descriptor equals protoc's), the literal
in ``.proto`` source, and the spelling XSD and JSON Schema use.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

from fmtbench.schema.model import INT_RANGES, Enum, EnumRef, FieldType, Scalar

_FLOAT32_MAX = 3.4028234663852886e38
_SIMPLE_ESCAPES = {
    "n": 0x0A,
    "r": 0x0D,
    "t": 0x09,
    "a": 0x07,
    "b": 0x08,
    "f": 0x0C,
    "v": 0x0B,
    "\\": 0x5C,
    "'": 0x27,
    '"': 0x22,
    "?": 0x3F,
}
_FLOAT_TEXT = re.compile(r"[-+]?(inf|nan|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)", re.I)
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|[xX]([0-9A-Fa-f]{1,2})|(.))", re.S)


class DefaultError(ValueError):
    """A default that does not fit its field; the message completes "default ..."."""


def c_unescape(text: str) -> bytes:
    """protoc's C-escaped text (``a\\001\\x02\\n``) as bytes; other characters as UTF-8."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()].encode("utf-8", "surrogatepass")
        octal, hexa, char = m.groups()
        if octal is not None:
            if int(octal, 8) > 0xFF:
                raise DefaultError(f"escape \\{octal} is over \\377")
            out.append(int(octal, 8))
        elif hexa is not None:
            out.append(int(hexa, 16))
        elif char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        else:
            raise DefaultError(f"has an unknown escape \\{char}")
        pos = m.end()
    if "\\" in text[pos:]:
        raise DefaultError("ends with a lone backslash")
    out += text[pos:].encode("utf-8", "surrogatepass")
    return bytes(out)


def c_escape(data: bytes) -> str:
    """protoc's CEscape: what a descriptor's ``default_value`` holds for a bytes field."""
    out = []
    for b in data:
        if b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b in (0x22, 0x27, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def _float32(v: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", v))[0])


def parse_default(ftype: FieldType, enum: Enum | None, value: Any) -> Any:
    """The default ``value`` (as YAML read it) checked against ``ftype``: its canonical value."""
    if isinstance(ftype, EnumRef):
        assert enum is not None
        if type(value) is not str or value not in enum.names:
            raise DefaultError(f"{value!r} is not a value of {enum.name} ({', '.join(enum.names)})")
        return value
    assert isinstance(ftype, Scalar)
    kind = ftype.kind
    if kind == "bool":
        if type(value) is not bool:
            raise DefaultError(f"{value!r} is not true or false")
        return value
    if kind in INT_RANGES:
        if type(value) is not int:
            raise DefaultError(f"{value!r} is not an integer")
        lo, hi = INT_RANGES[kind]
        if not lo <= value <= hi:
            raise DefaultError(f"{value} is outside {ftype} ({lo}..{hi})")
        return value
    if kind in ("float32", "float64"):
        if type(value) is str and _FLOAT_TEXT.fullmatch(value.strip()):
            # protoc's spellings (inf, -inf, nan), and numbers YAML 1.1 reads as text (1e39)
            value = float(value.strip())
        if type(value) not in (int, float):
            raise DefaultError(f"{value!r} is not a number (or inf, -inf, nan)")
        number = float(value)
        if type(value) is int and number != value:
            raise DefaultError(f"{value} is not exact in a double")
        if kind == "float32":
            if math.isfinite(number) and abs(number) > _FLOAT32_MAX:
                raise DefaultError(f"{value} is beyond float32's range")
            number = _float32(number)
        return number
    if kind == "string":
        if type(value) is not str:
            raise DefaultError(f"{value!r} is not a string")
        return value
    if kind == "bytes":
        if type(value) is not str:
            raise DefaultError(f"{value!r} is not C-escaped text such as 'a\\001'")
        return c_unescape(value)
    raise DefaultError(f"cannot apply to {ftype}")


def from_descriptor(ftype: FieldType, enum: Enum | None, text: str) -> Any:
    """A descriptor's ``default_value`` (protoc's text) as the schema's default: the inverse
    of ``descriptor_default``, for an importer. An enum default must already be the schema's
    value name (the importer strips Protobuf's prefix). Raises DefaultError."""
    if isinstance(ftype, Scalar):
        if ftype.kind == "bool":
            if text not in ("true", "false"):
                raise DefaultError(f"{text!r} is not true or false")
            return text == "true"
        if ftype.kind in INT_RANGES:
            try:
                return parse_default(ftype, enum, int(text, 0))
            except ValueError:
                raise DefaultError(f"{text!r} is not an integer") from None
        if ftype.kind == "string":
            return text
    return parse_default(ftype, enum, text)  # floats, bytes (C-escaped) and enums


def _dtoa(v: float) -> str:
    """protoc's SimpleDtoa: the shortest of %.15g and %.17g that reads back exactly."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    text = f"{v:.15g}"
    return text if float(text) == v else f"{v:.17g}"


def _ftoa(v: float) -> str:
    """protoc's SimpleFtoa: %.6g where it reads back to the same float32, else %.9g."""
    if math.isnan(v) or math.isinf(v):
        return _dtoa(v)
    text = f"{v:.6g}"
    return text if _float32(float(text)) == v else f"{v:.9g}"


def descriptor_default(ftype: FieldType, value: Any, enum_value_name: str | None = None) -> str:
    """The ``default_value`` protoc stores in a field's descriptor."""
    if isinstance(ftype, EnumRef):
        assert enum_value_name is not None
        return enum_value_name
    assert isinstance(ftype, Scalar)
    if ftype.kind == "bool":
        return "true" if value else "false"
    if ftype.kind == "float32":
        return _ftoa(value)
    if ftype.kind == "float64":
        return _dtoa(value)
    if ftype.kind == "bytes":
        return c_escape(value)
    return str(value)


def shown_default(ftype: FieldType, value: Any) -> str:
    """The default as a person reads it (``explain``): protoc's spelling, text quoted."""
    if isinstance(ftype, EnumRef):
        return str(value)
    if isinstance(ftype, Scalar) and ftype.kind in ("string", "bytes"):
        return proto_literal(ftype, value)
    return descriptor_default(ftype, value)


def proto_literal(ftype: FieldType, value: Any, enum_value_name: str | None = None) -> str:
    """The default as ``.proto`` source, which protoc reads back into ``descriptor_default``."""
    if isinstance(ftype, Scalar) and ftype.kind == "string":
        return '"' + c_escape_text(value) + '"'
    if isinstance(ftype, Scalar) and ftype.kind == "bytes":
        return '"' + c_escape(value) + '"'
    return descriptor_default(ftype, value, enum_value_name)


def c_escape_text(text: str) -> str:
    """A string for a ``.proto`` string literal: escapes where needed, other text as is."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\{code:03o}")
        else:
            out.append(ch)
    return "".join(out)


def text_default(ftype: FieldType, value: Any) -> str:
    """The default as XML text (XSD ``default``): the way the XML codec writes the value."""
    import base64

    if isinstance(ftype, Scalar):
        if ftype.kind == "bool":
            return "true" if value else "false"
        if ftype.kind in ("float32", "float64"):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "INF" if value > 0 else "-INF"
            return repr(value)
        if ftype.kind == "bytes":
            return base64.b64encode(value).decode("ascii")
    return str(value)
