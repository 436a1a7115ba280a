"""The machine, interpreter and library versions a result was measured with.

Numbers mean little without these: the protobuf backend alone changes Protobuf's timings
twentyfold, and a libxml2 upgrade moves XML's. Recorded with every run, as pyperf does.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

from fmtbench import __version__
from fmtbench.bench.results import Environment

#: The compressors' distributions; each format's come from its registry entry.
COMPRESSORS = ("zstandard", "brotli")


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def library_versions() -> dict[str, str]:
    """Every registered format's libraries (and versions no distribution carries, such as
    libxml2 under lxml), then the compressors'."""
    from fmtbench.codecs.registry import REGISTRY

    out: dict[str, str] = {}
    for fmt in REGISTRY.values():
        for name in fmt.distributions:
            out.setdefault(name, _version(name))
        if fmt.versions is not None:
            out.update(fmt.versions())
    for name in COMPRESSORS:
        out.setdefault(name, _version(name))
    return out


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def collect_environment() -> Environment:
    from fmtbench.schema.proto import protobuf_backend

    return Environment(
        fmtbench=__version__,
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        os=platform.platform(),
        cpu=cpu_model(),
        cores=os.cpu_count() or 1,
        protobuf_backend=protobuf_backend(),
        libraries=library_versions(),
        busy=tuple(machine_busy()),
    )


def machine_busy() -> list[str]:
    """Why timings on this machine may be noisy now, one reason a line (empty: none seen):
    a load average above the core count, or CPU frequency scaling that is not pinned."""
    reasons = []
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # not every platform has one
        load = 0.0
    if load > cores:
        reasons.append(
            f"the load average is {load:.1f} on {cores} cores: other work competes for them"
        )
    governor = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    try:
        mode = governor.read_text().strip()
    except OSError:
        mode = ""
    if mode and mode != "performance":
        reasons.append(f"CPU frequency scaling is on (governor {mode!r}): clock speed varies")
    return reasons
