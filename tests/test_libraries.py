"""The library cells of ``bench --libraries`` (codecs/*/libraries.py): every cell agrees with
its format's codec on every built-in dataset, or fails with a documented finding; the
agreement check catches a deliberately wrong adapter in each cell, naming record and path;
the pure-Python protobuf cell runs on that backend in a worker process; a missing library
names the extra that brings it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fmtbench.codecs import FORMATS, Codec, Record, codec_for
from fmtbench.codecs.agreement import disagreement
from fmtbench.codecs.format import Library, LibraryStep
from fmtbench.generate import load_dataset
from tests.samples import ORDERS, SENSORS, order_schema, sensor_schema

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("blob", "log", "media", "mesh", "order", "telemetry", "tree")
RECORDS = 30
#: Cells run in this process (the others need a worker: their environment).
CELLS = [
    (fmt, lib)
    for fmt in FORMATS
    for lib in FORMATS[fmt].libraries
    if not lib.environment and lib.missing() is None
]
IDS = [f"{fmt}-{lib.name}" for fmt, lib in CELLS]

#: ormsgpack 1.13 writes a timestamp whose fraction is 2^29 ns (0.536870912 s) or more
#: without its fraction (OPT_DATETIME_AS_TIMESTAMP_EXT): every dataset with timestamps.
ORMSGPACK_FRACTION = re.compile(
    r"record \d+: what it wrote reads back otherwise: [\w.]+: "
    r"\S+T\S+\.(\d{6})\+00:00 came back as \S+T\d\d:\d\d:\d\d\+00:00\Z"
)


def _findings(fmt: str, lib: str, dataset: str) -> re.Pattern[str] | None:
    """The documented failure of a cell on a dataset (docs/methodology.md), or None."""
    if (fmt, lib) == ("msgpack", "ormsgpack") and dataset in ("blob", "log", "order", "telemetry"):
        return ORMSGPACK_FRACTION
    return None


def _check(
    fmt: str, lib: Library, schema: Any, type_name: str | None, records: list[Record]
) -> str | None:
    codec = codec_for(fmt, schema, type_name)
    blobs = [codec.encode(r) for r in records]
    step = lib.adapter()(codec, records)
    return disagreement(step, codec, records, blobs)


@pytest.fixture(scope="module")
def datasets() -> dict[str, tuple[Any, str, list[Record]]]:
    out = {}
    for name in DATASETS:
        ds = load_dataset(name)
        out[name] = (ds.schema, ds.type_name, list(ds.generator().records(RECORDS)))
    return out


def test_every_library_format_has_cells() -> None:
    with_cells = {f for f in FORMATS if FORMATS[f].libraries}
    assert with_cells == {"json", "msgpack", "xml", "protobuf", "avro", "cbor"}
    names = {lib.name for f in with_cells for lib in FORMATS[f].libraries}
    assert {"orjson", "ujson", "rapidjson", "json (stdlib)", "simdjson", "ormsgpack"} <= names
    assert {"lxml", "ElementTree (stdlib)", "xmltodict", "fastavro", "avro (Apache)"} <= names


def test_listing_imports_no_library() -> None:
    code = (
        "import sys\nfrom fmtbench.codecs import FORMATS\n"
        "[FORMATS[f].libraries for f in FORMATS]\n"
        "print(sorted(m for m in ('orjson', 'ujson', 'rapidjson', 'simdjson', 'ormsgpack',"
        " 'xmltodict', 'avro', 'lxml', 'cbor2', 'google.protobuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(("fmt", "lib"), CELLS, ids=IDS)
def test_cells_agree_on_every_dataset(fmt: str, lib: Library, datasets: Any) -> None:
    for name, (schema, type_name, records) in datasets.items():
        found = _check(fmt, lib, schema, type_name, records)
        finding = _findings(fmt, lib.name, name)
        if finding is None:
            assert found is None, f"{name}: {found}"
        else:
            assert found is not None, name
            assert finding.match(found), f"{name}: {found}"


def test_ormsgpack_finding_is_the_fraction_it_drops(datasets: Any) -> None:
    lib = next(x for x in FORMATS["msgpack"].libraries if x.name == "ormsgpack")
    if lib.missing():
        pytest.skip(lib.missing())
    found = _check("msgpack", lib, *datasets["order"])
    assert found is not None
    match = ORMSGPACK_FRACTION.match(found)
    assert match, found
    assert int(match.group(1)) * 1000 >= 2**29, found


@pytest.mark.parametrize(("fmt", "lib"), CELLS, ids=IDS)
def test_cells_on_edge_values(fmt: str, lib: Library) -> None:
    """Extremes (2^64-1, -2^63, NaN, infinities, -0.0, subnormals, 1 µs, year 1 and
    9999, CR LF in text): every cell agrees, but for ElementTree, which writes a carriage
    return as it is, so that the reader's line-end normalization turns it into a newline."""
    orders = _check(fmt, lib, order_schema(), None, ORDERS)
    if lib.name == "ElementTree (stdlib)":
        assert orders == (
            "record 1: what it wrote reads back otherwise: "
            "labels.tabs: 'a\\tb\\r\\nc' came back as 'a\\tb\\nc'"
        )
    else:
        assert orders is None
    assert _check(fmt, lib, sensor_schema(), None, SENSORS) is None


# -- a wrong adapter is caught -----------------------------------------------------------------
def _mangle(value: Any) -> tuple[Any, str]:
    """A copy of a prepared or decoded value with one leaf changed, and that leaf's name:
    an integer turned into text (dict trees), an element's text changed (XML), an integer
    field of a message moved by one (protobuf)."""
    if hasattr(value, "ListFields"):  # a protobuf message
        out = type(value)()
        out.CopyFrom(value)
        name = _bump_int(out)
        assert name is not None, "no integer field to change"
        return out, name
    if hasattr(value, "iter") and hasattr(value, "tag"):  # an lxml or ElementTree element
        out = copy.deepcopy(value)
        for elem in out.iter():
            if len(elem) == 0 and elem.text:
                elem.text += "0"
                return out, elem.tag.rpartition("}")[2]
        raise AssertionError("no text to change")
    out = copy.deepcopy(value)
    # Text only (xmltodict's trees): a digit appended to the first string.
    name = _int_to_text(out) or _leaf_changed(out, str, lambda v: v + "0")
    assert name is not None, "no leaf to change"
    return out, name


def _bump_int(msg: Any) -> str | None:
    """Add one to the first integer field set in a message or its sub-messages."""
    for desc, v in msg.ListFields():
        if isinstance(v, int) and not isinstance(v, bool):
            setattr(msg, desc.name, v + 1)
            return str(desc.name)
        if hasattr(v, "ListFields") and (found := _bump_int(v)) is not None:
            return found
    return None


def _int_to_text(tree: Any) -> str | None:
    items: Any = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, v in list(items):
        if isinstance(v, int) and not isinstance(v, bool):
            tree[key] = str(v)
            return str(key)
        if isinstance(v, dict | list) and (found := _int_to_text(v)) is not None:
            return found
    return None


def _leaf_changed(tree: Any, kind: type, change: Callable[[Any], Any]) -> str | None:
    items: Any = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, v in list(items):
        if isinstance(v, kind):
            tree[key] = change(v)
            return str(key)
        if isinstance(v, dict | list) and (found := _leaf_changed(v, kind, change)) is not None:
            return found
    return None


def _wrong(step: LibraryStep, side: str) -> tuple[LibraryStep, list[str]]:
    """The step with its encode fed a changed tree, or its decode returning one."""
    names: list[str] = []
    if side == "encode":
        assert step.encode is not None
        encode = step.encode

        def bad_encode(tree: Any) -> bytes:
            changed, name = _mangle(tree)
            names.append(name)
            return encode(changed)

        return replace(step, encode=bad_encode, decode=None), names
    assert step.decode is not None
    decode: Callable[[bytes], Any] = step.decode

    def bad_decode(data: bytes) -> Any:
        changed, name = _mangle(decode(data))
        names.append(name)
        return changed

    return replace(step, encode=None, decode=bad_decode), names


@pytest.mark.parametrize(("fmt", "lib"), CELLS, ids=IDS)
@pytest.mark.parametrize("side", ["encode", "decode"])
def test_wrong_adapter_is_caught(fmt: str, lib: Library, side: str) -> None:
    ds = load_dataset("media")  # no timestamps: every cell agrees on it as it is
    records = list(ds.generator().records(3))
    codec: Codec = codec_for(fmt, ds.schema, ds.type_name)
    blobs = [codec.encode(r) for r in records]
    step = lib.adapter()(codec, records)
    if (step.encode if side == "encode" else step.decode) is None:
        pytest.skip(f"{lib.name} does not {side}")
    assert disagreement(step, codec, records, blobs) is None
    wrong, names = _wrong(step, side)
    found = disagreement(wrong, codec, records, blobs)
    assert found is not None
    assert found.startswith("record 1: "), found
    assert names, found  # the changed tree reached the library
    assert names[0] in found, found


# -- protobuf's pure-Python backend, in a worker ------------------------------------------------
WORKER = """
import json, sys
from google.protobuf.internal import api_implementation
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.agreement import disagreement
from fmtbench.generate import load_dataset
lib = next(x for x in FORMATS["protobuf"].libraries if x.name == sys.argv[1])
ds = load_dataset(sys.argv[2])
records = list(ds.generator().records(30))
codec = codec_for("protobuf", ds.schema, ds.type_name)
step = lib.adapter()(codec, records)
found = disagreement(step, codec, records, [codec.encode(r) for r in records])
print(json.dumps([api_implementation.Type(), found]))
"""


def _worker(lib: Library, dataset: str, environment: dict[str, str]) -> list[Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environment}
    out = subprocess.run(
        [sys.executable, "-c", WORKER, lib.name, dataset],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result: list[Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("dataset", ["order", "tree"])
def test_pure_python_protobuf_cell_runs_on_that_backend(dataset: str) -> None:
    lib = next(x for x in FORMATS["protobuf"].libraries if x.name == "protobuf (python)")
    assert lib.environment["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] == "python"
    assert _worker(lib, dataset, dict(lib.environment)) == ["python", None]


def test_protobuf_cells_refuse_the_other_backend() -> None:
    from fmtbench.codecs.protobuf.libraries import ALLOW
    from fmtbench.schema.proto import ALLOW_BACKEND, ProtobufBackendError

    assert ALLOW == ALLOW_BACKEND
    python = next(x for x in FORMATS["protobuf"].libraries if x.name == "protobuf (python)")
    ds = load_dataset("tree")
    codec = codec_for("protobuf", ds.schema, ds.type_name)
    with pytest.raises(ProtobufBackendError, match=r"protobuf \(python\) cell runs under the upb"):
        python.adapter()(codec, list(ds.generator().records(2)))


# -- a missing library -------------------------------------------------------------------------
def test_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ujson" else real(name, *a)
    )
    ujson = next(x for x in FORMATS["json"].libraries if x.name == "ujson")
    assert ujson.missing() == "ujson needs ujson: pip install 'fmtbench[libraries]'"
    orjson = next(x for x in FORMATS["json"].libraries if x.name == "orjson")
    assert orjson.missing() is None
    fake = Library("fake", "x:y", requires=("no_such_module_fmtbench",))
    assert fake.missing() == "fake needs no_such_module_fmtbench: pip install 'fmtbench[libraries]'"
