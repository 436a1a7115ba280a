"""ProtoJSON's Timestamp spelling (``leaves.timestamp_text``, written by msgspec in C): the
RFC 3339 text json_format writes, 0, 3 or 6 fraction digits and 'Z', for every datetime."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.protojson.leaves import timestamp_text


def _isoformat_spelling(v: datetime) -> str:
    """The spelling from isoformat(), as it was written before msgspec did it."""
    micro = v.microsecond
    if micro and micro % 1000 == 0:
        return v.isoformat()[:-9] + "Z"
    return v.isoformat()[:-6] + "Z"


def test_edges() -> None:
    cases = {
        datetime(1, 1, 1, tzinfo=UTC): "0001-01-01T00:00:00Z",
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC): "9999-12-31T23:59:59.999999Z",
        datetime(1970, 1, 1, tzinfo=UTC): "1970-01-01T00:00:00Z",
        datetime(2000, 2, 29, 0, 0, 0, 1000, tzinfo=UTC): "2000-02-29T00:00:00.001Z",
        datetime(2000, 2, 29, 0, 0, 0, 1, tzinfo=UTC): "2000-02-29T00:00:00.000001Z",
        datetime(999, 1, 1, 0, 0, 0, 100000, tzinfo=UTC): "0999-01-01T00:00:00.100Z",
    }
    for v, text in cases.items():
        assert timestamp_text(v) == text == _isoformat_spelling(v)


@given(st.datetimes(timezones=st.just(UTC)))
def test_same_as_isoformat(v: datetime) -> None:
    assert timestamp_text(v) == _isoformat_spelling(v)


@given(
    st.datetimes().map(lambda v: v.replace(microsecond=v.microsecond // 1000 * 1000, tzinfo=UTC))
)
def test_whole_milliseconds_have_three_digits(v: datetime) -> None:
    assert timestamp_text(v) == _isoformat_spelling(v)
