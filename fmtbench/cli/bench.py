"""``fmtbench bench``: run the benchmark."""
