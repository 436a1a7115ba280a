"""``all_written`` (one regex run over a block's timestamps, joined by NUL) answers as the
one-text test does for each text, whatever the texts hold, NULs and near misses included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.json.typed import _WRITTEN_TIMESTAMP, all_written

WRITTEN = st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z\Z")
NEAR = st.sampled_from(
    [
        "",
        "\x00",
        "2024-01-01T00:00:00Z\x002024-01-01T00:00:00Z",  # two written texts as one
        "2024-01-01T00:00:00Z\x00",
        "2024-01-01T00:00:00.123Z",  # milliseconds: the typed path's own rule reads them
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00z",
        "2024-01-01 00:00:00Z",
        "\uff12024-01-01T00:00:00Z",  # a digit outside ASCII
        "2024-01-01T00:00:00Z\n",
    ]
)


#: Pieces of the two shapes, glued: texts holding two shapes, or one inside another's gap.
PIECES = st.lists(
    st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.000000Z",
            "2024-01-01T00:00:0",
            "0Z",
            ".000000Z",
            "0",
            "\x00",
            "",
        ]
    ),
    max_size=4,
).map("".join)


@given(st.lists(st.one_of(WRITTEN, NEAR, PIECES, st.text(max_size=30)), max_size=8))
def test_all_written_is_each_text_tested(texts: list[str]) -> None:
    assert all_written(texts) == all(_WRITTEN_TIMESTAMP(t) is not None for t in texts)


@given(st.lists(WRITTEN, min_size=1, max_size=20))
def test_written_texts_pass(texts: list[str]) -> None:
    assert all_written(texts)
