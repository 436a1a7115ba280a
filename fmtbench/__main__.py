"""``python -m fmtbench``."""

from fmtbench.cli import run

run()
