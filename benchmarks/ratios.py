"""fmtbench beside the reference libraries (GitHub issue 5): median time ratios ours/reference.

Each pair does the same job twice over the same prepared inputs: once through fmtbench's
codec (validated, canonical values in or out) and once through the library a user would
otherwise reach for (orjson, protobuf's ``json_format``, xmltodict, lxml, msgpack, cbor2). The two
sides of every pair run in ONE process, interleaved round by round (and in alternating
order), so drift of the machine (other jobs, CPU frequency) hits both sides alike; the
table shows the median of each side and the median of the per-round ratios.

Run from the repository root::

    /work/venv/bin/python benchmarks/ratios.py               # 50,000 records, 5 rounds
    /work/venv/bin/python benchmarks/ratios.py --records 2000 --rounds 3 --no-convert
    /work/venv/bin/python benchmarks/ratios.py --gc          # the collector on while timing
    /work/venv/bin/python benchmarks/ratios.py --only protojson --no-convert  # some pairs

A ratio below 1 means fmtbench is faster. ``test_reference.py`` times the same pairs with
pytest-benchmark; this script is the one that prints the issue's verdicts.
"""

from __future__ import annotations

import argparse
import base64
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import bson
import msgpack
import orjson
import xmltodict
from google.protobuf import json_format
from lxml import etree
from proto_walk import compile_walk

from fmtbench.codecs import Codec, Record, codec_for
from fmtbench.codecs.avro.native import step as native_step
from fmtbench.codecs.cbor import native as cbor_native
from fmtbench.codecs.protobuf.kwargs import compile_kwargs
from fmtbench.generate import load_dataset
from fmtbench.schema.model import (
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.proto import compile_classes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Every built-in dataset (issue 16: the floors hold on recursive and numeric ones too).
DATASETS = ("blob", "log", "media", "mesh", "order", "telemetry", "tree")
RECORDS = 50_000
#: Each dataset's records are capped at this many bytes of JSON: without a cap, blob's 50,000
#: records (4-64 KiB of random bytes each), held in every format at once, outgrow 24 GiB.
MAX_MB = 64
ROUNDS = 5
CONVERT_ROUNDS = 3


@dataclass(frozen=True)
class Target:
    """The issue's goal for a pair, as a bound on the ratio ours/reference."""

    bound: float  # ours/reference must be at most this
    text: str  # the goal as the issue words it

    def met(self, ratio: float) -> bool:
        return ratio <= self.bound


TARGETS: dict[str, Target] = {
    # Issue 16: every dataset, full step over the library's own step.
    "json decode": Target(2.0, "<= 2.0x orjson.loads (validated)"),
    "json encode": Target(2.0, "<= 2.0x orjson.dumps"),
    "protobuf encode": Target(1 / 5, ">= 5x faster than ParseDict+Serialize"),
    "protobuf decode": Target(1 / 3, ">= 3x faster than FromString+MessageToDict"),
    "protobuf encode floor": Target(1.5, "<= 1.5x Message(**kwargs)+Serialize"),
    "protobuf decode floor": Target(1.5, "<= 1.5x FromString+walk (proto_walk)"),
    "xml decode": Target(1 / 4, ">= 4x faster than xmltodict.parse"),
    "xml encode": Target(1 / 3, ">= 3x faster than SubElement+tostring"),
    "xml batch decode": Target(1.5, "<= 1.5x message decode a record"),
    "xml decode floor": Target(1.5, "<= 1.5x lxml fromstring+iter"),
    "msgpack encode": Target(2.0, "within 2.0x of packb"),
    "msgpack decode": Target(2.0, "within 2.0x of unpackb"),
    "avro encode": Target(1.5, "within 1.5x of fastavro.schemaless_writer"),
    "avro decode": Target(1.5, "within 1.5x of fastavro.schemaless_reader"),
    "cbor encode": Target(1.5, "within 1.5x of cbor2.dumps"),
    "cbor decode": Target(1.5, "within 1.5x of cbor2.loads"),
    "bson encode": Target(1.5, "within 1.5x of bson.encode"),
    "bson decode": Target(1.5, "within 1.5x of bson.decode"),
    "convert": Target(1 / 5, ">= 5x faster than json_format script"),
    "protojson encode": Target(1 / 3, ">= 3x faster than MessageToJson"),
    "protojson decode": Target(1 / 3, ">= 3x faster than json_format.Parse"),
}


@dataclass(frozen=True)
class Pair:
    """One job done by fmtbench and by the reference, each a call over all the records."""

    dataset: str
    job: str  # a key of TARGETS
    ours_label: str
    reference_label: str
    ours: Callable[[], Any]
    reference: Callable[[], Any]

    @property
    def name(self) -> str:
        return f"{self.dataset} {self.job}"

    @property
    def target(self) -> Target:
        return TARGETS[self.job]


# -- the reference XML builder ----------------------------------------------------------------
def _xml_text(t: FieldType, v: Any) -> str:
    """A scalar's lexical form, spelled the way fmtbench's XML mapping spells it."""
    if isinstance(t, EnumRef):
        return str(v)
    assert isinstance(t, Scalar)
    kind = t.kind
    if kind == "bool":
        return "true" if v else "false"
    if kind in ("float32", "float64"):
        return {"nan": "NaN", "inf": "INF", "-inf": "-INF"}.get(repr(v), repr(v))
    if kind == "bytes":
        return base64.b64encode(v).decode("ascii")
    if kind == "timestamp":
        return str(v.isoformat().replace("+00:00", "Z"))
    return str(v)


class LxmlReferenceBuilder:
    """What a user would write: walk the schema per record, ``etree.SubElement`` each field.

    It produces the document fmtbench's XML mapping describes (fields as child elements or
    attributes, repeated elements for lists, ``key`` attributes for map entries), so the two
    sides of the pair write the same XML; it checks nothing beyond what lxml checks itself.
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.ns = schema.namespace

    def tostring(self, record: Record, type_name: str | None = None) -> bytes:
        name = type_name or self.schema.root
        root = etree.Element(f"{{{self.ns}}}{name}", nsmap={None: self.ns})
        self._fill(root, name, record)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _fill(self, elem: Any, type_name: str, value: dict[str, Any]) -> None:
        for f in self.schema.messages[type_name].fields:
            if f.name not in value:
                continue
            v = value[f.name]
            if f.xml_attribute:
                elem.set(f.name, _xml_text(f.type, v))
            else:
                self._field(elem, f.name, f.type, v)

    def _field(self, parent: Any, name: str, t: FieldType, v: Any) -> None:
        if isinstance(t, ListOf):
            for item in v:
                self._field(parent, name, t.item, item)
        elif isinstance(t, MapOf):
            for key in sorted(v):
                child = self._single(parent, name, t.value, v[key])
                child.set("key", _xml_text(t.key, key))
        else:
            self._single(parent, name, t, v)

    def _single(self, parent: Any, name: str, t: FieldType, v: Any) -> Any:
        child = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if isinstance(t, MessageRef):
            self._fill(child, t.name, v)
        else:
            child.text = _xml_text(t, v)
        return child


# -- the inputs and the pairs -----------------------------------------------------------------
class Prepared:
    """One dataset's records and every input form the pairs start from, each made once, on
    first use: ``--only`` prepares only what its pairs need (blob's 5000 records through
    every format take minutes)."""

    def __init__(self, dataset: str, records: list[Record]) -> None:
        self.dataset = dataset
        self.records = records
        self.schema = load_dataset(dataset).schema
        self._codecs: dict[str, Codec] = {}

    @classmethod
    def make(cls, dataset: str, count: int) -> Prepared:
        gen = load_dataset(dataset).generator()  # the dataset's own seed
        return cls(dataset, list(gen.records(count)))

    @staticmethod
    def capped(dataset: str, count: int, max_mb: float) -> int:
        """``count``, or fewer where the dataset's records are large: as many as fit in
        ``max_mb`` megabytes of JSON, judged on the first 200 records (at least 100)."""
        ds = load_dataset(dataset)
        encode = codec_for("json", ds.schema, ds.type_name).encode
        sample = [len(encode(r)) for r in ds.generator().records(min(count, 200))]
        mean = sum(sample) / max(1, len(sample))
        return max(min(count, 100), min(count, int(max_mb * 1e6 / max(1.0, mean))))

    def codec(self, fmt: str) -> Codec:
        if fmt not in self._codecs:
            ds = load_dataset(self.dataset)
            self._codecs[fmt] = codec_for(fmt, ds.schema, ds.type_name)
        return self._codecs[fmt]

    @property
    def codecs(self) -> _Codecs:
        return _Codecs(self)

    def _encoded(self, fmt: str) -> list[bytes]:
        encode = self.codec(fmt).encode
        return [encode(r) for r in self.records]

    @cached_property
    def json_lines(self) -> list[bytes]:
        return self._encoded("json")

    @cached_property
    def json_trees(self) -> list[Any]:
        to_tree = self.codec("json").to_tree  # type: ignore[attr-defined]
        return [to_tree(r) for r in self.records]

    @cached_property
    def proto_dicts(self) -> list[dict[str, Any]]:
        """Protobuf's own JSON mapping of each record."""
        to_dict = json_format.MessageToDict
        return [to_dict(m, preserving_proto_field_name=True) for m in self.pb_objects]

    @cached_property
    def proto_messages(self) -> list[bytes]:
        return self._encoded("protobuf")

    @cached_property
    def proto_kwargs(self) -> list[dict[str, Any]]:
        """The constructor keywords of each record, as the codec builds them (kwargs.py)."""
        kwargs = compile_kwargs(self.schema, self.codec("protobuf").message.name)
        return [kwargs(r) for r in self.records]

    @cached_property
    def pb_objects(self) -> list[Any]:
        """The protobuf message of each record (json_format's input)."""
        to_message = self.codec("protobuf").to_message  # type: ignore[attr-defined]
        return [to_message(r) for r in self.records]

    @cached_property
    def xml_messages(self) -> list[bytes]:
        return self._encoded("xml")

    @cached_property
    def xml_batch(self) -> bytes:
        """Every record in one ``<records>`` file."""
        return self.codec("xml").encode_many(self.records)

    @cached_property
    def xml_builder(self) -> LxmlReferenceBuilder:
        return LxmlReferenceBuilder(self.schema)

    @cached_property
    def msgpack_messages(self) -> list[bytes]:
        return self._encoded("msgpack")

    @cached_property
    def cbor_messages(self) -> list[bytes]:
        return self._encoded("cbor")

    @cached_property
    def cbor_trees(self) -> list[Any]:
        """What cbor2.loads gives for each (the native step's objects)."""
        return [cbor_native.loads(b) for b in self.cbor_messages]

    @cached_property
    def protojson_messages(self) -> list[bytes]:
        return self._encoded("protojson")

    @cached_property
    def avro_messages(self) -> list[bytes]:
        return self._encoded("avro")

    @cached_property
    def avro_datums(self) -> list[Any]:
        """fastavro's datum of each record (the codec's checked tree)."""
        to_tree = self.codec("avro").to_tree  # type: ignore[attr-defined]
        return [to_tree(r) for r in self.records]

    @cached_property
    def bson_messages(self) -> list[bytes]:
        return self._encoded("bson")

    @cached_property
    def bson_documents(self) -> list[Any]:
        """What BsonCodec hands bson.encode, read back from its bytes."""
        return [bson.decode(b, BSON_OPTIONS) for b in self.bson_messages]


class _Codecs:
    """``prepared.codecs[fmt]``: each format's codec, made on first use."""

    def __init__(self, prepared: Prepared) -> None:
        self._prepared = prepared

    def __getitem__(self, fmt: str) -> Codec:
        return self._prepared.codec(fmt)


def _bson_options() -> Any:
    from fmtbench.codecs.bson.codec import OPTIONS

    return OPTIONS


BSON_OPTIONS = _bson_options()  # the codec's own reading options


def each(fn: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], list[Any]]:
    """A call that applies ``fn`` to every item: the body both sides of a pair share."""
    return lambda: [fn(x) for x in items]


def _proto_parse_dict(cls: Any) -> Callable[[dict[str, Any]], bytes]:
    parse_dict = json_format.ParseDict
    return lambda d: parse_dict(d, cls()).SerializeToString()


def _proto_to_dict(cls: Any) -> Callable[[bytes], dict[str, Any]]:
    from_string, to_dict = cls.FromString, json_format.MessageToDict
    return lambda b: to_dict(from_string(b), preserving_proto_field_name=True)


def _proto_construct(cls: Any) -> Callable[[dict[str, Any]], bytes]:
    """The encode floor: upb builds the message from ready keywords, and serializes it
    as the codec does (deterministic: map entries sorted)."""
    return lambda kw: cls(**kw).SerializeToString(deterministic=True)


def _proto_walk(schema: Schema, root: str) -> Callable[[bytes], dict[str, Any]]:
    """The decode floor: upb parses, then a generated walk reads every field (proto_walk)."""
    classes = compile_classes(schema).classes
    from_string, walk = classes[root].FromString, compile_walk(schema, root, classes)
    return lambda b: walk(from_string(b))


def _lxml_pass(data: bytes) -> int:
    """The XML decode floor: lxml parses, then one pass reads every element's text."""
    n = 0
    for el in etree.fromstring(data).iter():
        el.text  # noqa: B018  # the read is the work measured
        n += 1
    return n


def make_pairs(p: Prepared, only: str = "") -> list[Pair]:
    """The codec pairs of one dataset whose job contains ``only`` (every pair by default;
    ``convert`` is separate: it times whole processes). Each is made only if chosen, so
    only the inputs of the chosen ones are prepared."""
    js, pb, xml, mp = (p.codecs[f] for f in ("json", "protobuf", "xml", "msgpack"))
    pj, av, cb = p.codecs["protojson"], p.codecs["avro"], p.codecs["cbor"]
    avro_step = native_step(av, p.records)  # fastavro alone, on the codec's parsed schema
    msg_cls = pb.message_class  # type: ignore[attr-defined]
    dumps, utc_z = orjson.dumps, orjson.OPT_UTC_Z
    packb, unpackb = msgpack.packb, msgpack.unpackb
    d = p.dataset
    makers: list[tuple[str, Callable[[], Pair]]] = [
        ("json decode", lambda: Pair(d, "json decode", "JsonCodec.decode", "orjson.loads",
             each(js.decode, p.json_lines), each(orjson.loads, p.json_lines))),
        ("json encode", lambda: Pair(d, "json encode", "JsonCodec.encode", "orjson.dumps(to_tree)",
             each(js.encode, p.records), each(lambda t: dumps(t, option=utc_z), p.json_trees))),
        ("protobuf encode", lambda: Pair(d, "protobuf encode", "ProtobufCodec.encode", "ParseDict+SerializeToString",
             each(pb.encode, p.records), each(_proto_parse_dict(msg_cls), p.proto_dicts))),
        ("protobuf decode", lambda: Pair(d, "protobuf decode", "ProtobufCodec.decode", "FromString+MessageToDict",
             each(pb.decode, p.proto_messages), each(_proto_to_dict(msg_cls), p.proto_messages))),
        ("protobuf encode floor", lambda: Pair(d, "protobuf encode floor", "ProtobufCodec.encode", "Message(**kwargs)+Serialize",
             each(pb.encode, p.records), each(_proto_construct(msg_cls), p.proto_kwargs))),
        ("protobuf decode floor", lambda: Pair(d, "protobuf decode floor", "ProtobufCodec.decode", "FromString+proto_walk",
             each(pb.decode, p.proto_messages),
             each(_proto_walk(pb.schema, pb.message.name), p.proto_messages))),
        # The same records from one <records> file as from one message each.
        ("xml batch decode", lambda: Pair(d, "xml batch decode", "XmlCodec.decode_many", "XmlCodec.decode a record",
             lambda: xml.decode_many(p.xml_batch), each(xml.decode, p.xml_messages))),
        ("xml decode floor", lambda: Pair(d, "xml decode floor", "XmlCodec.decode", "lxml fromstring+iter",
             each(xml.decode, p.xml_messages), each(_lxml_pass, p.xml_messages))),
        ("xml decode", lambda: Pair(d, "xml decode", "XmlCodec.decode", "xmltodict.parse",
             each(xml.decode, p.xml_messages), each(xmltodict.parse, p.xml_messages))),
        ("xml encode", lambda: Pair(d, "xml encode", "XmlCodec.encode", "lxml SubElement+tostring",
             each(xml.encode, p.records), each(p.xml_builder.tostring, p.records))),
        ("msgpack encode", lambda: Pair(d, "msgpack encode", "MsgpackCodec.encode", "msgpack.packb",
             each(mp.encode, p.records),
             each(lambda r: packb(r, use_bin_type=True, datetime=True), p.records))),
        ("msgpack decode", lambda: Pair(d, "msgpack decode", "MsgpackCodec.decode", "msgpack.unpackb",
             each(mp.decode, p.msgpack_messages),
             each(lambda b: unpackb(b, timestamp=3, strict_map_key=False), p.msgpack_messages))),
        # CBOR: cbor2 with the mapping's tag hooks on both sides (codecs/cbor/native.py).
        ("cbor encode", lambda: Pair(d, "cbor encode", "CborCodec.encode", "cbor2.dumps(canonical)",
             each(cb.encode, p.records), each(cbor_native.dumps, p.cbor_trees))),
        ("cbor decode", lambda: Pair(d, "cbor decode", "CborCodec.decode", "cbor2.loads",
             each(cb.decode, p.cbor_messages), each(cbor_native.loads, p.cbor_messages))),
        # BSON: pymongo's C extension on the documents the codec writes (Int64, naive
        # datetimes, the finer timestamps' documents), with the codec's reading options.
        ("bson encode", lambda: Pair(d, "bson encode", "BsonCodec.encode", "bson.encode",
             each(p.codecs["bson"].encode, p.records), each(bson.encode, p.bson_documents))),
        ("bson decode", lambda: Pair(d, "bson decode", "BsonCodec.decode", "bson.decode",
             each(p.codecs["bson"].decode, p.bson_messages),
             each(lambda b: bson.decode(b, BSON_OPTIONS), p.bson_messages))),
        # ProtoJSON: json_format from and to the protobuf message, a user's other way.
        ("protojson encode", lambda: Pair(d, "protojson encode", "ProtoJsonCodec.encode", "MessageToJson(indent=None)",
             each(pj.encode, p.records),
             each(lambda m: json_format.MessageToJson(m, indent=None), p.pb_objects))),
        ("protojson decode", lambda: Pair(d, "protojson decode", "ProtoJsonCodec.decode", "json_format.Parse",
             each(pj.decode, p.protojson_messages),
             each(lambda b: json_format.Parse(b, msg_cls()), p.protojson_messages))),
        ("avro encode", lambda: Pair(d, "avro encode", "AvroCodec.encode", "fastavro.schemaless_writer",
             each(av.encode, p.records), each(avro_step.encode, p.avro_datums))),  # type: ignore[arg-type]
        ("avro decode", lambda: Pair(d, "avro decode", "AvroCodec.decode", "fastavro.schemaless_reader",
             each(av.decode, p.avro_messages), each(avro_step.decode, p.avro_messages))),
    ]  # fmt: skip
    return [make() for job, make in makers if only in job]


# -- convert: whole processes ---------------------------------------------------------------
def write_jsonl(dataset: str, count: int, path: Path) -> None:
    """``count`` records of ``dataset`` as JSON Lines, the input of the convert pair."""
    ds = load_dataset(dataset)
    codec = codec_for("jsonl", ds.schema, ds.type_name)
    path.write_bytes(codec.encode_many(list(ds.generator().records(count))))


def convert_commands(src: Path, ours_out: Path, ref_out: Path) -> tuple[list[str], list[str]]:
    """``fmtbench convert`` and the json_format script, JSONL -> protobuf-delimited."""
    ours = [sys.executable, "-m", "fmtbench", "convert", str(src), str(ours_out)]
    ours += ["--schema", "log", "--to", "protobuf-delimited", "--quiet"]
    ref = [sys.executable, str(HERE / "reference_json_format.py"), str(src), str(ref_out)]
    ref += ["--schema", "log"]
    return ours, ref


def run_timed(command: list[str]) -> float:
    """Seconds one whole process takes, start to exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


# -- measuring ----------------------------------------------------------------------------
def timed(fn: Callable[[], Any], *, keep_gc: bool = False) -> float:
    """Seconds one call of ``fn`` takes, the collector off unless ``keep_gc``.

    Each body keeps all its results (50,000 records), so with the collector on, every full
    collection walks every object decoded so far: on ``order`` that costs more than the
    parsing itself, lands on both sides alike, and pulls every ratio towards 1.
    """
    gc.collect()  # each side starts from the same heap, not the other side's garbage
    if not keep_gc:
        gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


@dataclass(frozen=True)
class Result:
    name: str
    records: int  # a call's records
    ours_label: str
    reference_label: str
    target: Target
    ours: list[float]
    reference: list[float]

    @property
    def ratio(self) -> float:
        """The median of the per-round ratios ours/reference."""
        return statistics.median(o / r for o, r in zip(self.ours, self.reference, strict=True))


def measure(pairs: list[Pair], rounds: int, *, records: int, keep_gc: bool = False) -> list[Result]:
    """All pairs, interleaved: round after round, each pair's two sides back to back."""
    ours: dict[str, list[float]] = {p.name: [] for p in pairs}
    ref: dict[str, list[float]] = {p.name: [] for p in pairs}
    for p in pairs:  # a warm-up call of each side: imports, caches, first allocations
        p.ours()
        p.reference()
    for i in range(rounds):
        for p in pairs:
            if i % 2:  # alternate which side goes first, so neither always runs "second"
                ref[p.name].append(timed(p.reference, keep_gc=keep_gc))
                ours[p.name].append(timed(p.ours, keep_gc=keep_gc))
            else:
                ours[p.name].append(timed(p.ours, keep_gc=keep_gc))
                ref[p.name].append(timed(p.reference, keep_gc=keep_gc))
    return [
        Result(
            p.name,
            records,
            p.ours_label,
            p.reference_label,
            p.target,
            ours[p.name],
            ref[p.name],
        )
        for p in pairs
    ]


def measure_convert(count: int, rounds: int) -> Result:
    """``fmtbench convert`` against the json_format script, ``rounds`` each, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "log.jsonl"
        ours_out, ref_out = Path(tmp) / "ours.pbd", Path(tmp) / "ref.pbd"
        write_jsonl("log", count, src)
        ours_cmd, ref_cmd = convert_commands(src, ours_out, ref_out)
        ours: list[float] = []
        ref: list[float] = []
        for i in range(rounds):
            if i % 2:
                ref.append(run_timed(ref_cmd))
                ours.append(run_timed(ours_cmd))
            else:
                ours.append(run_timed(ours_cmd))
                ref.append(run_timed(ref_cmd))
        if ours_out.read_bytes() != ref_out.read_bytes():
            raise SystemExit("convert: fmtbench and the json_format script wrote different bytes")
    return Result(
        "log convert",
        count,
        "fmtbench convert",
        "reference_json_format.py",
        TARGETS["convert"],
        ours,
        ref,
    )


# -- the table ----------------------------------------------------------------------------
def table(results: list[Result], keep_gc: bool) -> list[str]:
    """The results as lines of text; only ``main`` prints."""
    gc_note = "collector on" if keep_gc else "collector off in codec pairs"
    head = (
        f"{'pair':<22} {'fmtbench':<21} {'reference':<28} {'records':>8} {'ours ms':>9}"
        f" {'ref ms':>9} {'ours/ref':>9}  {'target':<44} met"
    )
    title = f"median of interleaved rounds, each call over the records shown, {gc_note}"
    lines = [title, head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.name:<22} {r.ours_label:<21} {r.reference_label:<28} {r.records:>8}"
            f" {statistics.median(r.ours) * 1e3:>9.1f} {statistics.median(r.reference) * 1e3:>9.1f}"
            f" {r.ratio:>8.2f}x  {r.target.text:<44} {'yes' if r.target.met(r.ratio) else 'NO'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=RECORDS, help="records per dataset")
    parser.add_argument(
        "--max-mb",
        type=float,
        default=MAX_MB,
        help="fewer records where a dataset's would exceed this many MB of JSON",
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of each codec pair")
    parser.add_argument(
        "--convert-rounds", type=int, default=CONVERT_ROUNDS, help="rounds of the convert pair"
    )
    parser.add_argument("--no-convert", action="store_true", help="skip the convert pair")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument(
        "--gc", action="store_true", help="keep the garbage collector on while timing"
    )
    parser.add_argument(
        "--only", default="", help="time only the pairs whose job contains this (protojson)"
    )
    args = parser.parse_args(argv)
    results: list[Result] = []
    for dataset in args.datasets:
        count = Prepared.capped(dataset, args.records, args.max_mb)
        print(f"preparing {count} {dataset} records...", file=sys.stderr)
        pairs = make_pairs(Prepared.make(dataset, count), args.only)
        results += measure(pairs, args.rounds, records=count, keep_gc=args.gc)
    if not args.no_convert:
        print("timing convert...", file=sys.stderr)
        results.append(measure_convert(args.records, args.convert_rounds))
    print("\n".join(table(results, args.gc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
