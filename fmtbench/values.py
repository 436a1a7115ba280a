"""Canonical time values finer than a microsecond: ``Timestamp`` and ``Duration``.

A ``timestamp`` keeps nanoseconds and a ``duration`` is a signed span of nanoseconds, but
Python's ``datetime`` and ``timedelta`` stop at microseconds. So a value with no part below
the microsecond is a plain ``datetime`` / ``timedelta`` (what existing code and data use),
and only a value with one is an instance of these subclasses, which carry the nanoseconds
below the microsecond (0..999) beside the inherited fields, as ``pandas.Timestamp`` does.
Readers return the plain type whenever that part is zero, so every value has one canonical
form; equality, hashing, ordering, ``repr`` and ``isoformat`` count the nanoseconds, and a
plain value equals one of these only when its nanoseconds are 0.

Arithmetic with ``+`` and ``-`` (with a ``timedelta``, a ``Duration`` or, for two instants,
each other) is exact. Every other method is ``datetime``'s or ``timedelta``'s and sees the
value without its nanoseconds (``replace``, ``timestamp()``, ``total_seconds()``...).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, overload

_NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sub_micro(value: datetime | timedelta) -> int:
    ns: int = getattr(value, "_ns", 0)
    return ns


class Timestamp(datetime):
    """A ``datetime`` with nanoseconds: ``nanosecond`` is the part below the microsecond."""

    __slots__ = ("_ns",)
    _ns: int

    def __new__(
        cls,
        year: int,
        month: int = 1,
        day: int = 1,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        microsecond: int = 0,
        tzinfo: tzinfo | None = None,
        *,
        fold: int = 0,
        nanosecond: int = 0,
    ) -> Timestamp:
        if type(nanosecond) is not int or not 0 <= nanosecond <= 999:
            raise ValueError(f"nanosecond must be an int in 0..999, got {nanosecond!r}")
        self = super().__new__(
            cls, year, month, day, hour, minute, second, microsecond, tzinfo, fold=fold
        )
        self._ns = nanosecond
        return self

    @property
    def nanosecond(self) -> int:
        """The nanoseconds below the microsecond, 0..999."""
        return self._ns

    @classmethod
    def from_parts(cls, seconds: int, nanos: int = 0) -> datetime:
        """The instant ``seconds`` and ``nanos`` after 1970-01-01T00:00:00Z, in UTC, as its
        canonical value: a plain ``datetime`` when it has no nanoseconds below the
        microsecond. ``OverflowError`` outside years 1..9999."""
        micros, ns = divmod(seconds * _NS + nanos, 1000)
        return with_nanosecond(_EPOCH + timedelta(microseconds=micros), ns)

    def parts(self) -> tuple[int, int]:
        """Seconds since the epoch and nanoseconds (0..999999999), as Protobuf's Timestamp."""
        return timestamp_parts(self)

    def plain(self) -> datetime:
        """The value without its nanoseconds below the microsecond, as a plain ``datetime``."""
        return datetime(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.microsecond,
            self.tzinfo,
            fold=self.fold,
        )

    # -- comparison ----------------------------------------------------------------------
    def _cmp(self, other: object) -> int | None:
        if not isinstance(other, datetime):
            return None
        if datetime.__eq__(self, other) is True:
            mine, theirs = self._ns, _sub_micro(other)
            return (mine > theirs) - (mine < theirs)
        return 1 if datetime.__gt__(self, other) else -1  # TypeError: naive against aware

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return datetime.__eq__(self, other) is True and self._ns == _sub_micro(other)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __lt__(self, other: datetime) -> bool:  # type: ignore[override]
        c = self._cmp(other)
        return NotImplemented if c is None else c < 0

    def __le__(self, other: datetime) -> bool:  # type: ignore[override]
        c = self._cmp(other)
        return NotImplemented if c is None else c <= 0

    def __gt__(self, other: datetime) -> bool:  # type: ignore[override]
        c = self._cmp(other)
        return NotImplemented if c is None else c > 0

    def __ge__(self, other: datetime) -> bool:  # type: ignore[override]
        c = self._cmp(other)
        return NotImplemented if c is None else c >= 0

    def __hash__(self) -> int:
        base = datetime.__hash__(self)
        return base if not self._ns else hash((base, self._ns))

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: timedelta) -> datetime:  # type: ignore[override]
        if not isinstance(other, timedelta):
            return NotImplemented
        return add_span(self, other)

    __radd__ = __add__  # type: ignore[assignment]

    @overload  # type: ignore[override]
    def __sub__(self, other: timedelta) -> datetime: ...
    @overload
    def __sub__(self, other: datetime) -> timedelta: ...
    def __sub__(self, other: Any) -> Any:
        if isinstance(other, datetime):
            span = self.plain() - (other.plain() if isinstance(other, Timestamp) else other)
            return with_nanoseconds(span, self._ns - _sub_micro(other))
        if isinstance(other, timedelta):
            return self + -other
        return NotImplemented

    def __rsub__(self, other: datetime) -> timedelta:
        if isinstance(other, datetime):
            return with_nanoseconds(other - self.plain(), -self._ns)
        return NotImplemented

    def astimezone(self, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return with_nanosecond(self.plain().astimezone(tz), self._ns)

    # -- text ------------------------------------------------------------------------------
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        if timespec not in ("auto", "nanoseconds") or (timespec == "auto" and not self._ns):
            return datetime.isoformat(self, sep, timespec)
        text = datetime.isoformat(self, sep, "microseconds")
        end = text.index(".", 19) + 7  # after the microseconds, before any offset
        return f"{text[:end]}{self._ns:03d}{text[end:]}"

    def __str__(self) -> str:
        return self.isoformat(" ")

    def __repr__(self) -> str:
        return f"{datetime.__repr__(self)[:-1]}, nanosecond={self._ns})"

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return _timestamp, (self.plain(), self._ns)


class Duration(timedelta):
    """A ``timedelta`` with nanoseconds: ``nanoseconds`` is the part below the microsecond
    (0..999, added to the rest, as timedelta's own ``microseconds`` is)."""

    __slots__ = ("_ns",)
    _ns: int

    def __new__(
        cls,
        days: float = 0,
        seconds: float = 0,
        microseconds: float = 0,
        milliseconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        weeks: float = 0,
        *,
        nanoseconds: int = 0,
    ) -> Duration:
        if type(nanoseconds) is not int:
            raise TypeError(f"nanoseconds must be an int, got {nanoseconds!r}")
        carry, ns = divmod(nanoseconds, 1000)
        self = super().__new__(
            cls, days, seconds, microseconds + carry, milliseconds, minutes, hours, weeks
        )
        self._ns = ns
        return self

    @property
    def nanoseconds(self) -> int:
        """The nanoseconds below the microsecond, 0..999."""
        return self._ns

    @classmethod
    def from_parts(cls, seconds: int, nanos: int = 0) -> timedelta:
        """``seconds`` plus ``nanos`` as its canonical value: a plain ``timedelta`` when it
        has no nanoseconds below the microsecond."""
        return from_nanoseconds(seconds * _NS + nanos)

    def parts(self) -> tuple[int, int]:
        """Seconds and nanoseconds of one sign, as Protobuf's Duration."""
        return duration_parts(self)

    def plain(self) -> timedelta:
        """The value without its nanoseconds below the microsecond, as a plain ``timedelta``."""
        return timedelta(self.days, self.seconds, self.microseconds)

    def _key(self) -> int:
        return total_nanoseconds(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, timedelta):
            return NotImplemented
        return total_nanoseconds(self) == total_nanoseconds(other)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __lt__(self, other: timedelta) -> bool:
        if not isinstance(other, timedelta):
            return NotImplemented
        return total_nanoseconds(self) < total_nanoseconds(other)

    def __le__(self, other: timedelta) -> bool:
        if not isinstance(other, timedelta):
            return NotImplemented
        return total_nanoseconds(self) <= total_nanoseconds(other)

    def __gt__(self, other: timedelta) -> bool:
        if not isinstance(other, timedelta):
            return NotImplemented
        return total_nanoseconds(self) > total_nanoseconds(other)

    def __ge__(self, other: timedelta) -> bool:
        if not isinstance(other, timedelta):
            return NotImplemented
        return total_nanoseconds(self) >= total_nanoseconds(other)

    def __hash__(self) -> int:
        base = timedelta.__hash__(self)
        return base if not self._ns else hash((base, self._ns))

    def __bool__(self) -> bool:
        return bool(total_nanoseconds(self))

    def __neg__(self) -> timedelta:
        return from_nanoseconds(-total_nanoseconds(self))

    def __pos__(self) -> timedelta:
        return self

    def __abs__(self) -> timedelta:
        return from_nanoseconds(abs(total_nanoseconds(self)))

    def __add__(self, other: Any) -> Any:
        if isinstance(other, timedelta):
            return from_nanoseconds(total_nanoseconds(self) + total_nanoseconds(other))
        if isinstance(other, datetime):
            return add_span(other, self)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, timedelta):
            return from_nanoseconds(total_nanoseconds(self) - total_nanoseconds(other))
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        if isinstance(other, timedelta):
            return from_nanoseconds(total_nanoseconds(other) - total_nanoseconds(self))
        if isinstance(other, datetime):
            return add_span(other, -self)
        return NotImplemented

    def __str__(self) -> str:
        text = timedelta.__str__(self)
        return f"{text if self.microseconds else text + '.000000'}{self._ns:03d}"

    def __repr__(self) -> str:
        return f"{timedelta.__repr__(self)[:-1]}, nanoseconds={self._ns})"

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return _duration, (self.plain(), self._ns)


# -- helpers the codecs share ---------------------------------------------------------------
def with_nanosecond(value: datetime, ns: int) -> datetime:
    """``value`` with ``ns`` (0..999) nanoseconds below its microsecond, in canonical form."""
    if not ns:
        return value
    return _timestamp(value, ns)


def add_span(value: datetime, span: timedelta) -> datetime:
    """``value + span`` to the nanosecond, in canonical form."""
    total = _sub_micro(value) + _sub_micro(span)
    base = value.plain() if isinstance(value, Timestamp) else value
    moved = base + timedelta(span.days, span.seconds, span.microseconds + total // 1000)
    return with_nanosecond(moved, total % 1000)


def _timestamp(value: datetime, ns: int) -> Timestamp:
    return Timestamp(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        value.tzinfo,
        fold=value.fold,
        nanosecond=ns,
    )


def _duration(value: timedelta, ns: int) -> Duration:
    return Duration(value.days, value.seconds, value.microseconds, nanoseconds=ns)


def with_nanoseconds(value: timedelta, ns: int) -> timedelta:
    """``value`` plus ``ns`` nanoseconds (any int), in canonical form."""
    if not ns:
        return value
    carry, ns = divmod(ns, 1000)
    if carry:
        value = value + timedelta(microseconds=carry)
    return _duration(value, ns) if ns else value


def from_nanoseconds(total: int) -> timedelta:
    """A span of ``total`` nanoseconds in canonical form."""
    micros, ns = divmod(total, 1000)
    span = timedelta(microseconds=micros)
    return _duration(span, ns) if ns else span


def total_nanoseconds(value: timedelta) -> int:
    """A ``timedelta`` or ``Duration`` as a whole number of nanoseconds."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return micros * 1000 + _sub_micro(value)


def timestamp_parts(value: datetime) -> tuple[int, int]:
    """Seconds and nanoseconds since the epoch, floor-divided (pre-1970 nanos stay positive)."""
    delta = datetime.__sub__(value, _EPOCH)
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000 + _sub_micro(value)


def duration_parts(value: timedelta) -> tuple[int, int]:
    """Seconds and nanoseconds truncated toward zero, so both have one sign (Protobuf's)."""
    total = total_nanoseconds(value)
    seconds, nanos = divmod(abs(total), _NS)
    return (-seconds, -nanos) if total < 0 else (seconds, nanos)
