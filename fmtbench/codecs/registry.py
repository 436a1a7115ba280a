"""The registry: every format fmtbench knows, built-in or from an installed plugin.

Built-in formats are found the way plugins are: each package below exports ``FORMATS``, a
sequence of ``Format`` entries. Installed packages add theirs through the entry-point group
``fmtbench.formats`` (an entry point names a ``Format`` or a sequence of them), as pytest
finds plugins and Pygments lexers. Plugins are looked for only when a name or ending is not
a built-in one, or when every format is listed: scanning installed distributions costs more
than the rest of a short ``convert`` start-up.

A plugin that fails to load, declares a bad entry, or takes a name or ending already taken
gives one ``FormatPluginWarning`` naming it and is skipped; fmtbench keeps working.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath

from fmtbench.codecs.format import Format, resolve
from fmtbench.errors import UsageError
from fmtbench.text import did_you_mean

#: The built-in formats' packages, in the order nothing else decides.
BUILTIN = (
    "fmtbench.codecs.protobuf:FORMATS",
    "fmtbench.codecs.json:FORMATS",
    "fmtbench.codecs.protojson:FORMATS",
    "fmtbench.codecs.xml:FORMATS",
    "fmtbench.codecs.msgpack:FORMATS",
    "fmtbench.codecs.avro:FORMATS",
    "fmtbench.codecs.cbor:FORMATS",
    "fmtbench.codecs.bson:FORMATS",
)
#: The entry-point group installed packages declare their formats in.
GROUP = "fmtbench.formats"


class FormatPluginWarning(UserWarning):
    """A plugin's format could not be used and was skipped."""


class Registry(Mapping[str, Format]):
    """Format name -> ``Format``, in report order (``order``, then name)."""

    def __init__(self, builtin: Iterable[str] = BUILTIN, group: str | None = GROUP) -> None:
        self._builtin_refs = tuple(builtin)
        self._group = group
        self._builtin: dict[str, Format] | None = None
        self._all: dict[str, Format] | None = None
        self._added: list[Format] = []

    # -- loading ---------------------------------------------------------------------------
    def _builtins(self) -> dict[str, Format]:
        if self._builtin is None:
            found: dict[str, Format] = {}
            for ref in self._builtin_refs:
                for fmt in _entries(resolve(ref), ref):
                    if problems := fmt.problems() + _clashes(fmt, found):
                        raise AssertionError(f"{ref}: {'; '.join(problems)}")
                    found[fmt.name] = fmt
            self._builtin = found
        return self._builtin

    def _everything(self) -> dict[str, Format]:
        if self._all is None:
            found = dict(self._builtins())
            for origin, entries in self._plugins():
                for fmt in entries:
                    if problems := fmt.problems() + _clashes(fmt, found):
                        _warn(f"plugin {origin}: format {fmt.name!r}: {'; '.join(problems)}")
                        continue
                    found[fmt.name] = fmt
            for fmt in self._added:
                found[fmt.name] = fmt
            self._all = dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))
        return self._all

    def _plugins(self) -> Iterator[tuple[str, list[Format]]]:
        if self._group is None:
            return
        from importlib.metadata import entry_points

        for ep in entry_points(group=self._group):
            dist = ep.dist.name if ep.dist is not None else "?"
            origin = f"{ep.name!r} ({ep.value}, from {dist})"
            try:
                loaded = _entries(ep.load(), origin)
            except Exception as exc:  # a broken plugin must not break fmtbench
                _warn(f"plugin {origin} failed to load: {type(exc).__name__}: {exc}")
                continue
            yield origin, [_with_origin(f, dist) for f in loaded]

    def register(self, fmt: Format) -> None:
        """Add a format from code (a test, an application embedding fmtbench)."""
        if problems := fmt.problems() + _clashes(fmt, self._everything()):
            raise ValueError(f"format {fmt.name!r}: {'; '.join(problems)}")
        self._added.append(fmt)
        self._all = None

    def unregister(self, name: str) -> None:
        """Remove a format added with ``register``."""
        self._added = [f for f in self._added if f.name != name]
        self._all = None

    # -- the mapping -----------------------------------------------------------------------
    def __getitem__(self, name: str) -> Format:
        fmt = self._builtins().get(name)
        return fmt if fmt is not None else self._everything()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._builtins() or name in self._everything()

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

    # -- lookups ---------------------------------------------------------------------------
    def get_format(self, name: str) -> Format:
        """The entry of a name given on the command line; a usage error lists the names."""
        try:
            return self[name]
        except KeyError:
            hint = did_you_mean(name, self)
            raise UsageError(
                f"unknown format {name!r}; choose one of: {', '.join(self)}{hint}"
            ) from None

    def for_path(self, path: str) -> str:
        """The format a file name implies by its ending (before ``.gz``, ``.zst`` or
        ``.bz2``, which say the file is compressed); an error names the endings known."""
        from fmtbench.compress import without_compression

        suffix = PurePath(without_compression(path)).suffix.lower()
        for table in (self._builtins, self._everything):  # plugins only when needed
            for name, fmt in table().items():
                if suffix in fmt.extensions:
                    return name
        known = ", ".join(f"{ext} ({n})" for n, f in self.items() for ext in f.extensions)
        raise UsageError(
            f"cannot tell the format of {path!r} from its name; pass --from/--to (known: {known})"
        )


def _entries(obj: object, origin: str) -> list[Format]:
    """The entries an entry point (or a built-in package's ``FORMATS``) names."""
    items: list[object] = list(obj) if isinstance(obj, list | tuple) else [obj]
    entries = [e for e in items if isinstance(e, Format)]
    if not items or len(entries) != len(items):
        raise TypeError(f"{origin} must name a Format or a sequence of them, not {obj!r}")
    return entries


def _clashes(fmt: Format, found: Mapping[str, Format]) -> list[str]:
    if fmt.name in found:
        return [f"the name {fmt.name!r} is taken ({found[fmt.name].origin})"]
    taken = {ext: other.name for other in found.values() for ext in other.extensions}
    return [
        f"the ending {ext!r} is taken by {taken[ext]}" for ext in fmt.extensions if ext in taken
    ]


def _with_origin(fmt: Format, dist: str) -> Format:
    import dataclasses

    return dataclasses.replace(fmt, origin=dist)


def _warn(message: str) -> None:
    warnings.warn(message + "; skipped", FormatPluginWarning, stacklevel=2)


#: The registry every part of fmtbench reads.
REGISTRY = Registry()
