"""``fmtbench explain``: what each field costs in each format."""
