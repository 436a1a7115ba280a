"""The error tree: every failure fmtbench reports is one of these.

The CLI turns each class into one line on stderr and one exit status (see ``cli.py``), so
a message must stand on its own: it names the file, the record and the field path or the
position, and says what was expected.
"""

from __future__ import annotations


class FmtbenchError(Exception):
    """Base of every error fmtbench raises on purpose."""


class SchemaError(FmtbenchError):
    """A canonical schema is malformed: the message names file:line:column and the fix."""


class ValueMismatch(FmtbenchError):
    """A value does not fit its schema type.

    Raised deep inside a converter with only the local problem; each enclosing message,
    list or map prepends its part of the path while the exception unwinds, so the happy
    path pays nothing for path tracking.
    """

    def __init__(self, problem: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path

    def at(self, segment: str | int) -> ValueMismatch:
        self.path = (segment, *self.path)
        return self

    @property
    def where(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.problem}" if where else self.problem


def key_segment(key: object) -> str:
    """A map key as a path segment: ``["name"]`` for strings, ``[7]`` or ``[true]`` otherwise."""
    if isinstance(key, str):
        import json

        return f"[{json.dumps(key, ensure_ascii=False)}]"
    if isinstance(key, bool):
        return "[true]" if key else "[false]"
    return f"[{key!r}]"


def format_path(path: tuple[str | int, ...]) -> str:
    """Render a field path as ``lines[3].price`` (map keys as ``labels["k"]``)."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif seg.startswith("["):
            out += seg
        else:
            out += f".{seg}" if out else seg
    return out


class RecordError(FmtbenchError):
    """A record could not be encoded or decoded; carries where it happened."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        record: int | None = None,
        path: str = "",
        position: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.record = record
        self.path = path
        self.position = position
        super().__init__(self._render())

    def located(self, *, file: str | None = None, record: int | None = None) -> RecordError:
        """Fill in the file and record number once the caller knows them."""
        if file is not None and self.file is None:
            self.file = file
        if record is not None and self.record is None:
            self.record = record
        self.args = (self._render(),)
        return self

    def _render(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.position:
            parts.append(self.position)
        if self.path:
            parts.append(self.path)
        head = ": ".join(parts)
        return f"{head}: {self.problem}" if head else self.problem

    def __str__(self) -> str:
        return self._render()


class EncodeError(RecordError):
    """A canonical record cannot be written in a format (wrong shape, or not representable)."""


class DecodeError(RecordError):
    """Input bytes are malformed, truncated, or do not fit the schema."""


class LimitError(DecodeError):
    """Input exceeds a configured limit (size, depth, length)."""


class UsageError(FmtbenchError):
    """The command line asks for something impossible (unknown format, output equal to input)."""


class FileError(FmtbenchError):
    """An input cannot be read or an output cannot be written."""
