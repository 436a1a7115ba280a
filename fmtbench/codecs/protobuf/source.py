"""Schema names spelled in the Python source the Protobuf fast paths generate.

Names from the schema loader are ASCII identifiers, but may be Python keywords (``from``),
and a Schema built by hand may hold anything. Only a plain ASCII identifier is spelled as an
attribute or a keyword argument (Python would NFKC-normalise other identifiers into another
name); the rest go through ``getattr`` or ``**{...}``, which upb answers alike.
"""

from __future__ import annotations

import keyword


def plain(name: str) -> bool:
    """Whether ``name`` may be spelled as it is: an ASCII identifier, not a keyword."""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def attr(obj: str, name: str) -> str:
    """Source reading field ``name`` of the message in local ``obj``."""
    return f"{obj}.{name}" if plain(name) else f"getattr({obj}, {name!r})"


def keyword_arg(name: str, value: str) -> str:
    """A keyword argument of a call setting field ``name`` to ``value``."""
    return f"{name}={value}" if plain(name) else f"**{{{name!r}: {value}}}"
