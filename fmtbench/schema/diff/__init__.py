"""``fmtbench schema diff``: what changed between two versions of a schema, and what each
wire format's readers make of it.

``changes.diff`` lists the changes, ``rules.verdicts`` judges them per format (each
format's own rules, as fmtbench's codecs apply them: one rule a kind in ``effects``, the
value reads they share in ``reads``), ``render`` prints the table, the Markdown and the
JSON. ``prove`` (built apart) runs data through the codecs to back the verdicts.
"""

from fmtbench.schema.diff.changes import KINDS, Change, diff
from fmtbench.schema.diff.effects import Effect
from fmtbench.schema.diff.rules import Verdict, verdicts

__all__ = ["KINDS", "Change", "Effect", "Verdict", "diff", "verdicts"]
