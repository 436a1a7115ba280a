"""Text that came from a file, made safe to show a person: control characters spelled out.

A file name, a map key, a dataset name in a profile or a results file may hold any
character. Printed as it is, ESC starts a terminal escape sequence (clear the screen, set the
window title, write a link), CR and BS overwrite what was printed before, U+202E shows what
follows reversed, and a line break splits one error line into two. ``plain_text`` spells
each such character the way Python's ``repr`` does (``\\x1b``, ``\\u202e``, ``\\n``), so the
line stays safe and readable and still says what the file holds.

A backslash is left as it is: messages quote values with ``repr``, whose escapes are spelled
the same way, and doubling every backslash would garble them. The price: a literal
``\\x1b`` in a name and a real ESC print alike. Neither reaches the terminal as an escape.

Only text for people goes through here, when it is printed: data formats (JSON, a converted
file, an exported schema) are written as they are, and no codec pays for it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["plain_text"]

#: The Unicode categories never sent as they are: controls (C0, DEL and C1, among them ESC,
#: CR, BS and the one-byte CSI U+009B), format characters (bidi overrides and isolates,
#: zero-width characters), lone surrogates (a file name that is not UTF-8, which a UTF-8
#: stream cannot even encode) and the line and paragraph separators (line breaks to some
#: readers, and to ``str.splitlines``).
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

#: Where an unsafe character can be: anything but printable ASCII. The category decides.
_CANDIDATE = re.compile("[^\x20-\x7e]")


def plain_text(text: str, keep: str = "") -> str:
    """``text`` with every control, format, surrogate or separator character not in ``keep``
    shown as ``\\n``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``; all else unchanged.

    With nothing kept, line breaks and tabs are escaped too: the text fits on one line.
    """
    if text.isprintable():  # the usual case, decided in C: no unsafe character is printable
        return text

    def shown(found: re.Match[str]) -> str:
        ch = found[0]
        if ch in keep or unicodedata.category(ch) not in _UNSAFE:
            return ch
        return _escape(ch)

    return _CANDIDATE.sub(shown, text)


#: The three controls ``repr`` spells by letter; a line break reads better as ``\\n``.
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'json'?"`` for a name close to one of ``known``, else ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
