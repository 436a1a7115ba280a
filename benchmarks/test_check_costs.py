"""check_costs.py measures what it says: its "off" codecs really skip the check, and it runs."""

from __future__ import annotations

import pytest
from check_costs import main, without_search

from fmtbench.codecs.protobuf.codec import ProtobufCodec
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


def test_the_table_prints(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--records", "5", "--passes", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["dataset", "checked"]
    assert {line.split()[0] for line in lines[2:]} >= {"log", "order", "tree"}
