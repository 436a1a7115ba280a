"""``schema diff``: what changed between two versions of a schema, and what it breaks per
format (``prove.py``: proof by data, through the real codecs)."""
