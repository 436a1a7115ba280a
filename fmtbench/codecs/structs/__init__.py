"""The schema compiled to ``msgspec.Struct`` classes: the fast reading (``read.py``) and
writing (``write.py``) paths that the msgspec-based formats (JSON, MessagePack) share; each
format supplies its own leaf rules."""
