"""What a wire format *is*: one frozen ``Format`` entry per format, the only place that says it.

Every consumer (the CLI, ``convert``, ``parallel``, ``infer``, ``bench``, ``explain``, the
reports) reads these entries through the registry (``registry.py``); none keeps a list of
its own. An entry is cheap to import: the code it points to (codec, native step, explain
rules, sample reader, splitter, schema export) is named by a ``"package.module:attribute"``
reference and imported on first use, so listing formats never imports lxml or upb.

Built-in formats declare their entries in their package's ``__init__.py`` (``FORMATS``);
installed packages add formats through the ``fmtbench.formats`` entry-point group in exactly
the same form (docs/plugins.md).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

if TYPE_CHECKING:
    from fmtbench.codecs.base import Codec, Record
    from fmtbench.schema.model import Field, Schema

T = TypeVar("T")

#: Code named by its import path, ``"package.module:attribute"`` (imported on first use), or
#: the object itself.
Ref = str

#: A format's name on the command line: lower case, digits, ``-``, ``_`` and ``.``.
NAME = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")


def resolve(ref: str | T) -> T:
    """The object a reference names (imported now), or the object itself."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split(".") if attribute else ():
        obj = getattr(obj, part)
    return obj  # type: ignore[no-any-return]


# -- what bench, explain, infer and export need of a format ---------------------------------
@dataclass(frozen=True)
class NativeStep:
    """A format's library step alone (no canonical conversion), on inputs prepared outside
    the timed region: ``objects`` are what ``encode`` takes, one per record."""

    objects: Sequence[Any]
    encode: Callable[[Any], bytes] | None  # None: the format has no native encoder (XML)
    decode: Callable[[bytes], Any]

    def verify(self, blobs: Sequence[bytes]) -> str | None:
        """Why this step does not do the codec's work on these bytes, or None if it does."""
        for i, data in enumerate(blobs, 1):
            decoded = self.decode(data)
            if self.encode is None:
                continue
            if self.encode(self.objects[i - 1]) != data:
                return f"record {i}: native encoding differs from the codec's bytes"
            if self.encode(decoded) != data:
                return f"record {i}: native decode then encode does not give the same bytes"
        return None


@dataclass(frozen=True)
class Native:
    """The native cell of ``bench``: what the library's own step is called, and the step
    built from a message codec and the records (docs/methodology.md)."""

    label: str | Callable[[], str]
    step: Callable[[Codec, Sequence[Record]], NativeStep]

    def name(self) -> str:
        return self.label if isinstance(self.label, str) else self.label()


@dataclass(frozen=True)
class LibraryStep:
    """What one implementation of a format does with the prepared values of a dataset, for a
    library cell of ``bench --libraries`` (docs/methodology.md, "Library cells").

    ``objects`` are what ``encode`` takes, one per record: the tree the format's codec builds
    for it (the same start for every library of the format). ``encode``/``decode``: None
    when the library does only the other direction (pysimdjson and xmltodict only read).
    ``expected``: what ``decode`` must give for each record's bytes (the format's reference
    reading of them; None: ``objects``). ``tree_of``: how a decoded result and ``expected``
    are brought to one form before comparing (xmltodict's dicts, ElementTree's elements);
    None compares them as they are (codecs/agreement.py)."""

    objects: Sequence[Any]
    encode: Callable[[Any], bytes] | None
    decode: Callable[[bytes], Any] | None
    expected: Sequence[Any] | None = None
    tree_of: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Library:
    """One implementation of a format that users choose between (orjson, ujson, the standard
    library's json...): a library cell beside the format's own in ``bench --libraries``.

    ``step(codec, records)`` builds its ``LibraryStep`` from the format's message codec.
    ``requires``: modules it imports; when one is missing the cell is left out with a note
    naming the extra (``pip install 'fmtbench[libraries]'``). ``environment``: variables its
    worker process needs (protobuf's pure-Python backend is chosen per process)."""

    name: str
    step: Ref | Callable[[Codec, Sequence[Record]], LibraryStep]
    requires: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    extra: str = "libraries"

    def missing(self) -> str | None:
        """Why the library cannot run here (with the install command), or None."""
        from importlib.util import find_spec

        absent = [m for m in self.requires if find_spec(m) is None]
        if not absent:
            return None
        return f"{self.name} needs {', '.join(absent)}: pip install 'fmtbench[{self.extra}]'"

    def adapter(self) -> Callable[[Codec, Sequence[Record]], LibraryStep]:
        return resolve(self.step)


@dataclass(frozen=True)
class ExplainRules:
    """How ``explain`` measures one format (docs/explain.md).

    ``payload(field, value, alone)``: the bytes of ``alone`` (a message holding only that
    field) that spell the value itself; the rest is overhead. ``notes``: per kind of value
    (bytes, timestamp, duration, float64, float32, int, enum), how this format spells it.
    ``fields_alone(codec, value)``: the empty message's size and each set field's message
    holding only it; None encodes them with a copy of the schema where every field is
    optional (right for formats keyed by name).
    """

    payload: Callable[[Field, Any, bytes], int]
    notes: Mapping[str, str]
    fields_alone: Callable[[Codec, Record], tuple[int, dict[str, bytes]]] | None = None


@dataclass(frozen=True)
class SampleReader:
    """Reads records without a schema (``schema infer``), as the codec's library sees them.

    ``read(data, exact_ints)``: the records as plain trees; ``exact_ints`` asks for integers
    beyond 64 bits kept exact. ``text_leaves``: timestamps and float words (NaN, Infinity)
    arrive as strings, so inference may read them out of text.
    """

    read: Callable[[bytes, bool], Iterator[Any]]
    text_leaves: bool = False


@dataclass(frozen=True)
class Export:
    """A schema artifact other tools read (``schema export --to TARGET``)."""

    target: str  # the name after --to
    title: str  # what it is, for help and ``fmtbench formats``
    render: Ref | Callable[[Schema, str | None], str]  # (schema, record type) -> text


# -- the entry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Format:
    """One wire format: everything fmtbench needs to know about it, declared once."""

    #: The name on the command line (``--from``, ``--to``, ``--formats``).
    name: str
    #: What people call it: "JSON Lines", "MessagePack".
    title: str
    #: The ``Codec`` subclass (docs/plugins.md says what it must implement).
    codec: Ref | type[Codec]
    #: File name endings that select it, the usual one first.
    extensions: tuple[str, ...]
    #: Where it sits in lists and reports: lower first; built-ins use 10 to 99.
    order: int = 1000
    #: A file may hold one record in a form of its own, apart from a sequence (a JSON
    #: object vs an array); ``convert`` keeps that form from one such format to another.
    single_form: bool = False
    #: A file may hold more than one record (a single protobuf message cannot).
    many_records: bool = True
    #: Each record is written as that format's message (jsonl: json), so the two share
    #: message-level figures: ``explain`` shows only the other one by default.
    messages_as: str | None = None
    #: Cuts a file at record boundaries without parsing it, for chunked ``convert``:
    #: ``split(path, size, count) -> [(start, end), ...]``; None: never split.
    split: Ref | Callable[[str, int, int], list[tuple[int, int]]] | None = None
    #: Files of it joined end to end are one file of all their records (chunk outputs).
    concatenates: bool = False
    #: Reads records without a schema (``schema infer``); None: a schema is required.
    sample: Ref | SampleReader | None = None
    #: Its files carry their writer schema (an Avro container's header): the function that
    #: imports it, ``(file, source) -> Schema``. Such inputs need no ``--schema``, and
    #: ``schema infer`` imports theirs instead of guessing one; None: they carry none.
    schema_in_file: Ref | Callable[[BinaryIO, str], Schema] | None = None
    #: The library doing the work, for ``bench`` labels ("fmtbench (msgspec)").
    library: str | Callable[[], str] = ""
    #: Distributions whose versions travel with results, and a function for versions no
    #: distribution carries (libxml2 under lxml).
    distributions: tuple[str, ...] = ()
    versions: Callable[[], Mapping[str, str]] | None = None
    #: Benchmarked by default, and the format a batch file is written in (None: this one;
    #: protobuf's batch is a delimited stream, since one message holds one record).
    bench: bool = True
    batch_format: str | None = None
    #: The library's own step for ``bench``'s native cell (a ``Native``); None: no cell.
    native: Ref | Native | None = None
    #: How ``explain`` measures it (an ``ExplainRules``); None: all its bytes are overhead.
    explain: Ref | ExplainRules | None = None
    #: The schema artifact its readers use (``.proto``, XSD, JSON Schema), if any.
    export: Export | None = None
    #: Keyword options its codec takes for writing (``proto_names``), given through
    #: ``codec_for(..., options=...)`` (``convert --proto-names``).
    options: tuple[str, ...] = ()
    #: The rules ``schema diff`` judges a schema change by for it (docs/evolution.md;
    #: ``schema/diff/rules.py`` FAMILIES): "protobuf", "protojson", "json", "binary",
    #: "bson", "xml", "avro" or "avro-single". None: its ``messages_as`` format's, else
    #: none (``schema diff`` skips it with a note).
    evolution: str | None = None
    #: The other implementations users choose between, for ``bench --libraries`` (the
    #: implementation matrix); the format's own codec is always measured.
    libraries: tuple[Library, ...] = ()
    #: Modules its code imports that only an optional install brings (fastavro), and the
    #: pip extra that brings them: without them the format is still listed, and using it is
    #: one line naming the extra (``missing``), never an ImportError.
    requires: tuple[str, ...] = ()
    extra: str | None = None
    #: Where the entry came from: "fmtbench" for built-ins, else the plugin's distribution.
    origin: str = field(default="fmtbench", compare=False)

    def missing(self) -> str | None:
        """Why the format cannot be used here (a module it requires is not installed, with
        the command that installs it), or None when it can."""
        from importlib.util import find_spec

        absent = [m for m in self.requires if find_spec(m) is None]
        if not absent:
            return None
        package = "fmtbench" if self.extra is None else f"fmtbench[{self.extra}]"
        return (
            f"format {self.name} needs {', '.join(absent)}, which is not installed: "
            f"pip install '{package}'"
        )

    def codec_class(self) -> type[Codec]:
        return resolve(self.codec)

    def library_name(self) -> str:
        return self.library if isinstance(self.library, str) else self.library()

    def native_adapter(self) -> Native | None:
        return None if self.native is None else resolve(self.native)

    def explain_rules(self) -> ExplainRules | None:
        return None if self.explain is None else resolve(self.explain)

    def sample_reader(self) -> SampleReader | None:
        return None if self.sample is None else resolve(self.sample)

    def splitter(self) -> Callable[[str, int, int], list[tuple[int, int]]] | None:
        return None if self.split is None else resolve(self.split)

    @property
    def needs_schema(self) -> bool:
        """Whether reading it needs a schema given (anything without a sample reader, or a
        schema of its own, does)."""
        return self.sample is None and self.schema_in_file is None

    def file_schema(self, src: BinaryIO, source: str) -> Schema:
        """The schema a file of this format carries (SchemaError naming ``source``)."""
        assert self.schema_in_file is not None, self.name
        reader: Callable[[BinaryIO, str], Schema] = resolve(self.schema_in_file)
        return reader(src, source)

    def problems(self) -> list[str]:
        """What is wrong with the entry itself (a plugin's is checked before it is used)."""
        out = []
        if not isinstance(self.name, str) or not NAME.match(self.name):
            out.append(f"name {self.name!r} is not lower case letters, digits, '-', '_', '.'")
        if not self.extensions or not all(
            isinstance(e, str) and e.startswith(".") and e == e.lower() and len(e) > 1
            for e in self.extensions
        ):
            out.append(f"extensions {self.extensions!r} must be lower-case endings like '.ext'")
        if not isinstance(self.title, str) or not self.title:
            out.append("title is empty")
        return out
