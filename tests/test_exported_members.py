"""The public API: every name in ``fmtbench.__all__`` exists, and the list stays sorted."""

import fmtbench


def test_all_names_exist_and_are_sorted() -> None:
    assert fmtbench.__all__ == sorted(fmtbench.__all__, key=lambda n: (n.upper() != n, n))
    for name in fmtbench.__all__:
        assert hasattr(fmtbench, name), name


def test_readme_example() -> None:
    from tests.samples import ORDERS, assert_same

    schema = fmtbench.resolve_schema("order")
    codec = fmtbench.codec_for("protobuf", schema)
    assert_same(codec.decode(codec.encode(ORDERS[0])), ORDERS[0])
