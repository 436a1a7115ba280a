"""Canonical values, shared by every format: leaf rules (``leaves.py``), the check of a
whole record against its type (``canonical.py``) and the compiled walk between the canonical
form and a format's tree of plain values (``tree.py``)."""
