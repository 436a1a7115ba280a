"""Length-prefixed JSON, an fmtbench format plugin: the registry entry.

This module is what the ``fmtbench.formats`` entry point names. It only declares the
format; the codec is imported when first used.
"""

from fmtbench.codecs import Format

FORMAT = Format(
    name="lpjson",
    title="length-prefixed JSON",
    codec="fmtbench_lpjson.codec:LengthPrefixedJsonCodec",
    extensions=(".lpjson",),
    messages_as="json",  # a record's bytes are the json format's message
    concatenates=True,  # frames back to back: files join into one
    library="msgspec",  # what does the work: fmtbench's JSON codec
    distributions=("msgspec",),
)
