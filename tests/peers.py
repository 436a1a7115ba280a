"""Independent implementations installed from npm (``peers/``, by ``.ci/run``).

A test that needs one skips when it is not installed, except in CI
(``FMTBENCH_REQUIRE_PEERS=1``), where a missing peer is a failure: the comparison must run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PEERS = Path(__file__).resolve().parent.parent / "peers" / "node_modules" / ".bin"


def peer(name: str) -> Path:
    """The peer's executable, or a skip (a failure in CI) when it is not installed."""
    path = PEERS / name
    if not path.exists():
        message = f"{name} is not installed: run 'npm ci --prefix peers'"
        if os.environ.get("FMTBENCH_REQUIRE_PEERS"):
            pytest.fail(message)
        pytest.skip(message)
    return path
