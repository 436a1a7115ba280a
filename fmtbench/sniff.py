"""What a file that failed to parse looks like: a hint that says what to do instead.

A JSON Lines file named ``.json``, a MessagePack or Protobuf file read as text, a gzip file
not decompressed: the parser's own error ("unexpected content after document", "not valid
UTF-8") is right but does not say what to do. Only the first bytes are looked at, only
after a parse has failed, so nothing is paid on the way to success.
"""

from __future__ import annotations

from pathlib import Path

#: Compression magic numbers: the file is a compressed stream, not the format.
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
)
#: The problems of a text parser failing on what it was given (JSON's and XML's words).
_TEXT_PROBLEMS = ("malformed JSON", "not well-formed XML", "not valid UTF-8", "expected a JSON")
HEAD = 4096


def content_hint(path: str, problem: str) -> str | None:
    """One sentence on what the file at ``path`` seems to hold, when that explains a failed
    parse (``problem``); None when it does not, or the file cannot be looked at."""
    from fmtbench.compress import compression

    if path in ("-", "<stdin>") or compression(path):
        return None  # a compressed file's own errors say what is wrong with it
    try:
        with Path(path).open("rb") as f:
            head = f.read(HEAD)
    except OSError:
        return None
    for magic, name in MAGIC:
        if head.startswith(magic):
            return f"the file is {name}-compressed: decompress it first"
    if not any(p in problem for p in _TEXT_PROBLEMS):
        return None
    if _binary(head):
        return (
            f"the file looks binary, not text: {_binary_guess(head)}; pass --from with its format"
        )
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    lines = [line for line in text.splitlines() if line.strip()]
    if (
        "after document" in problem
        and len(lines) > 1
        and all(line.lstrip().startswith("{") for line in lines[:-1])
    ):
        return "it holds one JSON document a line (JSON Lines): read it with --from jsonl"
    return None


def _binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    try:
        head[: max(0, len(head) - 3)].decode("utf-8")  # a character may be cut at the end
    except UnicodeDecodeError:
        return True
    return False


def _binary_guess(head: bytes) -> str:
    first = head[0] if head else 0
    if 0x80 <= first <= 0x9F or first in (0xDC, 0xDD, 0xDE, 0xDF):
        return "perhaps MessagePack (a map or an array first)"
    if _tag(first):
        return "perhaps Protobuf (a field tag first)"
    # A varint length, then a field tag: length-delimited Protobuf records.
    i = 0
    while i < min(len(head), 5) and head[i] & 0x80:
        i += 1
    if i + 1 < len(head) and _tag(head[i + 1]):
        return "perhaps length-delimited Protobuf records (protobuf-delimited)"
    return "neither JSON nor XML"


def _tag(byte: int) -> bool:
    """A plausible first byte of a Protobuf field: a field number, a known wire type."""
    return byte >> 3 >= 1 and byte & 7 in (0, 1, 2, 5)
