"""``schema check --lint``: what keeps the exported ``.proto`` from passing ``buf lint``.

The exported ``.proto`` passes buf's STANDARD rules but three, each decided by names the
schema chooses or by where the file is put, not by fmtbench (docs/schema.md, "Linting"):

- PACKAGE_VERSION_SUFFIX: the package (the schema's name) should end in a version, ``v1``;
- ENUM_ZERO_VALUE_SUFFIX: an enum's zero value should be named ``UNSPECIFIED`` (exported
  as ``STATUS_UNSPECIFIED``);
- PACKAGE_DIRECTORY_MATCH: buf wants ``shop/order/*.proto`` for package ``shop.order``;
  fmtbench names the file ``shop/order.proto``, as protoc's own convention has it.

The hints say which apply to a schema and what to rename.
"""

from __future__ import annotations

import re

from fmtbench.schema.model import Schema

_VERSION = re.compile(r"v\d+((alpha|beta)\d*)?(test\w*)?\Z")


def lint_hints(schema: Schema) -> list[str]:
    """One line a finding, in buf's rule names; empty when only the file's place is left."""
    hints = []
    last = schema.name.rsplit(".", 1)[-1]
    if not _VERSION.match(last):
        hints.append(
            f"PACKAGE_VERSION_SUFFIX: package {schema.name!r} has no version: name the schema"
            f" {schema.name}.v1"
        )
    for enum in schema.enums.values():
        if enum.full_name is not None:
            zero = next(name for name, number in enum.values if number == 0)
            suffixed = zero.endswith("_UNSPECIFIED")
        else:
            zero = enum.zero
            suffixed = zero == "UNSPECIFIED" or zero.endswith("_UNSPECIFIED")
        if not suffixed:
            hints.append(
                f"ENUM_ZERO_VALUE_SUFFIX: enum {enum.name}'s zero value {zero!r} should be"
                " named UNSPECIFIED (the value that means 'not set')"
            )
    return hints
