"""The ``bson`` module, checked to be pymongo's, with its C extension.

Two distributions install a top-level ``bson`` module: pymongo's (MongoDB's own) and the
unrelated PyPI package ``bson``. Only pymongo's has ``BSON``, ``decode_all`` and ``has_c``,
and only its C extension is fast enough for fmtbench's hot paths. ``require`` runs before the
codec's modules import anything from ``bson``: another module is one line saying what to
install, never an ImportError or an AttributeError later.
"""

from __future__ import annotations

from fmtbench.errors import UsageError

_PYMONGO = ("BSON", "decode_all", "has_c", "encode", "decode")


def problem() -> str | None:
    """Why the ``bson`` module found cannot be used, or None when it is pymongo's, in C."""
    try:
        import bson
    except ImportError:
        return "format bson needs pymongo, which is not installed: pip install 'fmtbench[bson]'"
    if not all(hasattr(bson, name) for name in _PYMONGO):
        where = getattr(bson, "__file__", "?")
        return (
            f"format bson needs pymongo's bson module, but the one installed ({where}) is"
            " another package (PyPI's 'bson'): pip uninstall bson && pip install"
            " --force-reinstall 'fmtbench[bson]'"
        )
    if not bson.has_c():
        return (
            "format bson needs pymongo's C extension, and this pymongo has none"
            " (bson.has_c() is False): pip install --force-reinstall 'fmtbench[bson]'"
            " from a wheel"
        )
    return None


def require() -> None:
    """Raise UsageError (one line, exit 2) unless ``bson`` is pymongo's, with C."""
    if (why := problem()) is not None:
        raise UsageError(why)


require()
