"""The machine, interpreter and library versions a result was measured with.

Numbers mean little without these: the protobuf backend alone changes Protobuf's timings
twentyfold, and a libxml2 upgrade moves XML's. Recorded with every run, as pyperf does.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata

from fmtbench import __version__
from fmtbench.bench.results import Environment

#: Distributions whose versions travel with the results (the codecs' and compressors').
LIBRARIES = ("protobuf", "lxml", "msgspec", "orjson", "msgpack", "zstandard", "brotli")


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
    out: dict[str, str] = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
        if name == "lxml":
            # The parser doing XML's work is libxml2, versioned apart from its binding.
            from lxml import etree

            out["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    return out


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
    )
