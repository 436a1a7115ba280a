"""ratios.py's record counts: large records are capped so that a default run fits in memory."""

from __future__ import annotations

from ratios import MAX_MB, RECORDS, Prepared


def test_large_records_are_capped_and_small_ones_are_not() -> None:
    # blob's records hold 4-64 KiB of bytes: 50,000 of them in every format outgrew 24 GiB.
    blob = Prepared.capped("blob", RECORDS, MAX_MB)
    assert 100 <= blob < 5000
    assert Prepared.capped("log", RECORDS, MAX_MB) == RECORDS
    # Never more than asked, and a small request is kept as it is.
    assert Prepared.capped("blob", 50, MAX_MB) == 50
    assert Prepared.capped("blob", RECORDS, 1) == 100
