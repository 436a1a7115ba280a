"""fmtbench: one canonical schema, compiled to Protobuf, JSON, XML and MessagePack codecs."""

__version__ = "0.1.0"
