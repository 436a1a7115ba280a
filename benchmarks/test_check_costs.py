"""check_costs.py measures what it says: its "off" codecs really skip the check, and it runs."""

from __future__ import annotations

import io

import pytest
from check_costs import block_codec, block_convert, main, without_search

from fmtbench.codecs import codec_for
from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.errors import RecordError
from fmtbench.generate.dataset import load_dataset


def _searches(codec: ProtobufCodec) -> bool:
    """Whether the generated ``decode`` calls the over-64-bits walk (``_ovf``)."""
    return "_ovf" in codec.decode.__code__.co_names


def test_the_search_is_off_in_the_generated_decode() -> None:
    # Switching ``_varints`` off after construction would leave the search written into
    # ``decode``: the cost measured would be nothing.
    ds = load_dataset("log")
    assert _searches(ProtobufCodec(ds.schema, ds.type_name))
    off = without_search(ds)
    assert not _searches(off)
    assert not _searches(without_search(ds, drop_unknown=True))
    # And the codec still decodes what the checked one does.
    record = next(iter(ds.generator().records(1)))
    assert off.decode(off.encode(record)) == record


def test_an_overflowing_varint_passes_only_with_the_search_off() -> None:
    ds = load_dataset("log")
    on, off = ProtobufCodec(ds.schema, ds.type_name), without_search(ds)
    # Field 6 (bytes_sent, int64) as 2^64 + 5: upb keeps the low 64 bits, 5.
    data = b"\x30" + b"\x85" + b"\x80" * 8 + b"\x02"
    with pytest.raises(Exception, match="over 64 bits"):
        on.decode(data)
    assert off.decode(data)["bytes_sent"] == 5


def _log_line(**replace: str) -> bytes:
    """A ``log`` record as a JSON line, with some values' text replaced."""
    ds = load_dataset("log")
    record = next(iter(ds.generator().records(1)))
    line = codec_for("jsonl", ds.schema, ds.type_name).encode(record)
    for key, text in replace.items():
        start = line.index(b'"%s":' % key.encode()) + len(key) + 3
        end = line.index(b',"', start)
        line = line[:start] + text.encode() + line[end:]
    return line + b"\n"


def _convert(off: set[str], line: bytes) -> dict[str, object]:
    ds = load_dataset("log")
    pbd = codec_for("protobuf-delimited", ds.schema, ds.type_name)
    out = block_convert(block_codec(ds, frozenset(off)), pbd, line)
    return next(iter(pbd.reader(io.BytesIO(out))))


def test_each_block_check_is_what_refuses_its_input() -> None:
    # Each check off lets through what it alone stops: the measured cost is that check's.
    duplicate = _log_line(method='"GET","method":"PUT"')
    with pytest.raises(RecordError, match="duplicate"):
        _convert(set(), duplicate)
    assert _convert({"keys"}, duplicate)["method"] == "PUT"  # the first one dropped
    inexact = _log_line(latency_ms=str(2**53 + 1))
    with pytest.raises(RecordError, match="latency_ms"):
        _convert(set(), inexact)
    assert _convert({"floats"}, inexact)["latency_ms"] == 2.0**53  # rounded
    nanos = _log_line(at='"2024-05-14T08:00:00.123456789Z"')
    assert _convert(set(), nanos)["at"].nanosecond == 789  # type: ignore[union-attr]
    truncated = _convert({"stamps"}, nanos)["at"]
    assert not hasattr(truncated, "nanosecond")  # a plain datetime: the nanoseconds cut off
    assert truncated.microsecond == 123456  # type: ignore[attr-defined]


def test_the_tables_print(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--records", "5", "--passes", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["dataset", "checked"]
    assert {line.split()[0] for line in lines[2:9]} >= {"log", "order", "tree"}
    block = lines.index("") + 2
    assert lines[block].split() == [
        "dataset",
        "checked",
        "no",
        "keys",
        "no",
        "stamps",
        "no",
        "floats",
        "none",
        "all",
        "checks",
    ]
    assert {line.split()[0] for line in lines[block + 1 :]} >= {"log", "mesh", "tree"}
