"""Hypothesis profiles: ``default`` for developers, ``ci`` quicker, ``thorough`` for bug hunts.

Pick one with ``HYPOTHESIS_PROFILE=thorough pytest``. Also: every test sees an idle machine.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("default"), max_examples=30)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _quiet_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see an idle machine: ``bench``'s busy-machine warning would otherwise add a
    line to stderr whenever the suite runs beside other work (tests of that warning set
    the load they need)."""
    if hasattr(os, "getloadavg"):
        monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
