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


NODE_MODULES = PEERS.parent


def node_module(name: str) -> Path:
    """The folder of an npm peer library (``avsc``, ``cbor``, ``bson``) for a script run with
    ``node`` and ``NODE_PATH`` set to its parent; a skip (a failure in CI) when absent."""
    import shutil

    path = NODE_MODULES / name
    if shutil.which("node") is None or not path.exists():
        message = f"node or the npm package {name} is missing: run 'npm ci --prefix peers'"
        if os.environ.get("FMTBENCH_REQUIRE_PEERS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_node(script: str, *args: str, stdin: bytes = b"") -> bytes:
    """Run a node script with the peers' modules importable; its stdout, or a failure
    carrying its stderr."""
    import subprocess

    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    done = subprocess.run(
        ["node", "-e", script, *args], input=stdin, capture_output=True, env=env, timeout=120
    )
    if done.returncode != 0:
        pytest.fail(f"node failed: {done.stderr.decode(errors='replace')}")
    return done.stdout
