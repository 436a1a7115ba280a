"""The shared samples are themselves canonical: the validator returns them unchanged."""

import pytest

from fmtbench.codecs.values.canonical import validate
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema


@pytest.mark.parametrize("record", ORDERS)
def test_order_samples_are_canonical(record: dict) -> None:
    assert_same(validate(order_schema(), record), record)


@pytest.mark.parametrize("record", SENSORS)
def test_sensor_samples_are_canonical(record: dict) -> None:
    assert_same(validate(sensor_schema(), record), record)
