"""``fmtbench report|plot|compare|recommend``: views of saved results."""
