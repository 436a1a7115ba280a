"""Read a canonical schema (YAML) into the model, rejecting mistakes with a precise message.

We walk PyYAML's node graph rather than the plain loaded dict, because nodes carry line and
column marks (every error names file:line:column) and because a plain load silently keeps
the last of two duplicate keys.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml

from fmtbench.errors import SchemaError
from fmtbench.schema.avro_hint import field_problem, group_problem, named_problem, normal
from fmtbench.schema.defaults import DefaultError, parse_default
from fmtbench.schema.model import (
    ENCODED_INTEGERS,
    INT_RANGES,
    MAP_KEY_KINDS,
    MAX_DECIMAL_PRECISION,
    SCALAR_KINDS,
    WRAPPER_TYPES,
    ElementType,
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Oneof,
    Scalar,
    Schema,
)
from fmtbench.schema.names import json_name

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
SHORTHAND = re.compile(r"\s*(?P<type>.*?)\s*(=\s*(?P<tag>\S+)\s*)?\Z")
MAX_TAG = 2**29 - 1
RESERVED_TAGS = range(19000, 20000)
# Words a type name may not take: they already mean something in the type syntax, and
# "records" is the XML wrapper element for many records.
RESERVED_NAMES = frozenset(
    {*SCALAR_KINDS, *ENCODED_INTEGERS, "decimal", "list", "map", "optional", "records"}
)
TOP_KEYS = frozenset({"schema", "root", "doc", "enums", "messages"})
FIELD_KEYS = frozenset(
    {
        "type",
        "tag",
        "optional",
        "required",
        "default",
        "wrapper",
        "xml",
        "doc",
        "gen",
        "packed",
        "avro",
    }
)


def load_schema(path: str | Path) -> Schema:
    """Load and check the schema at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{p}: cannot read schema: {exc}") from None
    return parse_schema(text, str(p))


def parse_schema(text: str, source: str = "<schema>") -> Schema:
    return _Loader(source).load(text)


#: What YAML aliases may expand a schema to: this many times its own text, and never less
#: than ``EXPANSION_FLOOR`` characters (a small schema may reuse a description freely).
EXPANSION_FACTOR = 8
EXPANSION_FLOOR = 1 << 20


def over_expanded(root: yaml.Node, size: int) -> tuple[yaml.Node, str] | None:
    """The first node whose expansion passes the bound, and why; None if none does.

    An alias repeats its anchor's whole subtree wherever it stands: 500 aliases of a
    100 KB ``doc`` make a 50 MB schema, and 50 MB of every exported artifact. A document
    may say as much as it likes in its own text; what aliases add is bounded (a YAML file
    is input too). Each node's expanded size is computed once, so the walk is linear.
    """
    limit = max(EXPANSION_FACTOR * size, EXPANSION_FLOOR)
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    found: list[tuple[yaml.Node, str]] = []

    def expanded(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            found.append((node, "an alias refers to a node that contains it"))
            raise _Stop
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = len(node.value) + 1
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(expanded(item) for item in node.value)
        else:
            total = 1 + sum(expanded(k) + expanded(v) for k, v in node.value)
        open_nodes.discard(key)
        if total > limit:
            found.append(
                (
                    node,
                    f"aliases expand it to over {limit:,} characters (the larger of"
                    f" {EXPANSION_FACTOR} times its own {size:,} and 1 MiB)",
                )
            )
            raise _Stop
        sizes[key] = total
        return total

    try:
        expanded(root)
    except _Stop:
        return found[0]
    return None


class _Stop(Exception):
    pass


# libyaml's composer when PyYAML was built with it: 15 ms less for a built-in schema, a
# tenth of a short convert; the nodes and marks are the same.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _packable(t: FieldType) -> bool:
    """What Protobuf packs: repeated numbers, bools and enums (never strings, bytes or
    messages; a timestamp or duration is a message)."""
    return isinstance(t, EnumRef) or (
        isinstance(t, Scalar) and t.kind not in ("string", "bytes", "timestamp", "duration")
    )


class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source

    # -- error helpers -------------------------------------------------------------
    def fail(self, node: yaml.Node | None, problem: str, fix: str | None = None) -> NoReturn:
        where = self.source
        if node is not None:
            mark = node.start_mark
            where += f":{mark.line + 1}:{mark.column + 1}"
        message = f"{where}: {problem}"
        if fix:
            message += f"; {fix}"
        raise SchemaError(message)

    def mapping(self, node: yaml.Node, what: str) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
        """Items of a mapping node, refusing duplicates and non-string keys."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping")
        seen: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.fail(key, f"{what}: keys must be plain names")
            if key.value in seen:
                self.fail(key, f"{what}: duplicate name {key.value!r}", "each name may appear once")
            seen.add(key.value)
            yield key, value

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.fail(node, f"{what} must be a string")
        return str(node.value)

    def integer(self, node: yaml.Node, what: str) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            self.fail(node, f"{what} must be an integer")
        return int(yaml.safe_load(yaml.serialize(node)))

    def boolean(self, node: yaml.Node, what: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.fail(node, f"{what} must be true or false")
        return str(node.value).lower() in ("true", "yes", "on")

    def identifier(self, node: yaml.Node, what: str) -> str:
        name = self.text(node, what) if node.tag.endswith(":str") else str(node.value)
        if not IDENTIFIER.match(name):
            self.fail(
                node,
                f"{what} {name!r} is not a valid identifier",
                "use letters, digits and underscores, not starting with a digit",
            )
        return name

    def bound_expansion(self, root: yaml.Node, size: int) -> None:
        if (found := over_expanded(root, size)) is not None:
            node, problem = found
            self.fail(node, problem, "write the repeated text out where it is needed")

    # -- the document --------------------------------------------------------------
    def load(self, text: str) -> Schema:
        try:
            root = yaml.compose(text, Loader=YAML_LOADER)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{self.source}:{mark.line + 1}:{mark.column + 1}" if mark else self.source
            raise SchemaError(f"{where}: not valid YAML: {exc.problem}") from None
        except yaml.YAMLError as exc:
            raise SchemaError(f"{self.source}: not valid YAML: {exc}") from None
        if root is None:
            self.fail(None, "the schema is empty", "start with 'schema: NAME' and 'messages:'")
        self.bound_expansion(root, len(text))
        top = dict(self.mapping(root, "the schema"))
        by_name = {k.value: (k, v) for k, v in top.items()}
        for key in top:
            if key.value not in TOP_KEYS:
                self.fail(key, f"unknown key {key.value!r}", f"expected one of {sorted(TOP_KEYS)}")
        if "schema" not in by_name:
            self.fail(root, "missing 'schema: NAME'", "add a dotted name such as 'shop.order'")
        if "messages" not in by_name:
            self.fail(root, "missing 'messages:'", "declare at least one message type")
        name_node = by_name["schema"][1]
        name = self.text(name_node, "schema")
        if not DOTTED.match(name):
            self.fail(name_node, f"schema name {name!r} must be a dotted name like 'shop.order'")
        if name == "google.protobuf" or name.startswith("google.protobuf."):
            # Protobuf's own package: its Timestamp (which fmtbench imports) and the other
            # well-known types would clash with the schema's messages.
            self.fail(
                name_node,
                f"schema name {name!r} is Protobuf's own package (its well-known types)",
                "choose a name of your own, such as 'acme.time'",
            )
        doc = self.text(by_name["doc"][1], "doc") if "doc" in by_name else None

        enum_nodes = list(self.mapping(by_name["enums"][1], "enums")) if "enums" in by_name else []
        message_nodes = list(self.mapping(by_name["messages"][1], "messages"))
        if not message_nodes:
            self.fail(by_name["messages"][1], "no message types", "declare at least one")

        type_names: dict[str, yaml.Node] = {}
        for key, _ in [*enum_nodes, *message_nodes]:
            tname = self.identifier(key, "type name")
            if tname in RESERVED_NAMES:
                self.fail(key, f"{tname!r} is reserved and cannot name a type", "rename it")
            if tname in type_names:
                self.fail(key, f"duplicate type name {tname!r}", "enums and messages share names")
            type_names[tname] = key

        enums = {key.value: self.enum(key.value, node) for key, node in enum_nodes}
        self.enums = enums
        self.enum_names = set(enums)
        self.message_names = {key.value for key, _ in message_nodes}
        messages = {key.value: self.message(key.value, node) for key, node in message_nodes}

        if "root" in by_name:
            root_node = by_name["root"][1]
            root_name = self.text(root_node, "root")
            if root_name not in messages:
                self.fail(
                    root_node, f"root {root_name!r} is not a message type", self.hint(root_name)
                )
        elif len(messages) == 1:
            root_name = next(iter(messages))
        else:
            self.fail(root, "missing 'root: TYPE'", "name the default record type")
        self.check_required_cycles(messages, dict(message_nodes))
        return Schema(name, root_name, enums, messages, doc, source=self.source)

    def hint(self, name: str) -> str | None:
        known = sorted({*self.enum_names, *self.message_names, *SCALAR_KINDS, *ENCODED_INTEGERS})
        close = difflib.get_close_matches(name, known, n=1)
        return f"did you mean {close[0]!r}?" if close else None

    # -- enums ----------------------------------------------------------------------
    def enum(self, name: str, node: yaml.Node) -> Enum:
        doc = None
        full_name = None
        values_node = node
        numbers: tuple[tuple[int, int], ...] = ()
        names: tuple[str, ...] = ()
        allow_alias = False
        alias_node: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            parts = {k.value: (k, v) for k, v in self.mapping(node, f"enum {name}")}
            for key, _ in parts.values():
                if key.value not in {
                    "values",
                    "doc",
                    "reserved",
                    "allow_alias",
                    "full_name",
                    "avro",
                }:
                    self.fail(
                        key,
                        f"enum {name}: unknown key {key.value!r}",
                        "use 'values', 'reserved', 'allow_alias', 'doc', 'full_name' and 'avro'",
                    )
            if "allow_alias" in parts:
                alias_node = parts["allow_alias"][1]
                allow_alias = self.boolean(alias_node, f"enum {name}: allow_alias")
            if "values" not in parts:
                self.fail(node, f"enum {name}: missing 'values'")
            values_node = parts["values"][1]
            doc = self.text(parts["doc"][1], "doc") if "doc" in parts else None
            full_name = self.full_name(parts, f"enum {name}")
            if "reserved" in parts:
                lo32, hi32 = INT_RANGES["int32"]
                numbers, names = self.reserved(parts["reserved"][1], f"enum {name}", lo32, hi32)
        pairs: list[tuple[yaml.Node, str, int]] = []
        if isinstance(values_node, yaml.SequenceNode):
            for number, item in enumerate(values_node.value):
                pairs.append((item, self.identifier(item, f"enum {name} value"), number))
        elif isinstance(values_node, yaml.MappingNode):
            for key, num in self.mapping(values_node, f"enum {name} values"):
                pairs.append(
                    (key, self.identifier(key, f"enum {name} value"), self.integer(num, "number"))
                )
        else:
            self.fail(values_node, f"enum {name}: values must be a list or a NAME: NUMBER mapping")
        if not pairs:
            self.fail(values_node, f"enum {name} has no values")
        seen_names: set[str] = set()
        seen_numbers: dict[int, str] = {}
        lo, hi = INT_RANGES["int32"]
        for item, vname, number in pairs:
            if vname in seen_names:
                self.fail(item, f"enum {name}: duplicate value {vname!r}")
            if number in seen_numbers and not allow_alias:
                self.fail(
                    item,
                    f"enum {name}: {vname} reuses number {number} of {seen_numbers[number]}",
                    "give it another number, or set 'allow_alias: true' to make it an alias",
                )
            if not lo <= number <= hi:
                self.fail(item, f"enum {name}: number {number} is outside int32")
            for first, last in numbers:
                if first <= number <= last:
                    self.fail(item, f"enum {name}: {vname} takes reserved number {number}")
            if vname in names:
                self.fail(item, f"enum {name}: the value name {vname} is reserved")
            seen_names.add(vname)
            seen_numbers.setdefault(number, vname)
        if 0 not in seen_numbers:
            self.fail(
                values_node,
                f"enum {name} has no value numbered 0",
                "add a default such as UNKNOWN: 0",
            )
        if allow_alias and len(seen_numbers) == len(pairs):
            # protoc refuses the option where no two values share a number.
            self.fail(
                alias_node,
                f"enum {name}: allow_alias is set but no two values share a number",
                "remove 'allow_alias', or give an alias the number of its value",
            )
        enum = Enum(
            name,
            tuple((v, n) for _, v, n in pairs),
            doc,
            numbers,
            names,
            allow_alias=allow_alias,
            full_name=full_name,
        )
        if isinstance(node, yaml.MappingNode) and "avro" in parts:
            avro = self.avro(parts["avro"][1], f"enum {name}", lambda h: named_problem(h, enum))
            enum = dataclasses.replace(enum, avro=avro)
        return enum

    # -- messages -------------------------------------------------------------------
    def message(self, name: str, node: yaml.Node) -> Message:
        parts = {k.value: (k, v) for k, v in self.mapping(node, f"message {name}")}
        for key, _ in parts.values():
            if key.value not in {"fields", "doc", "reserved", "full_name", "avro"}:
                self.fail(
                    key,
                    f"message {name}: unknown key {key.value!r}",
                    "use 'fields', 'reserved', 'doc', 'full_name' and 'avro'",
                )
        avro = (
            self.avro(parts["avro"][1], f"message {name}", named_problem)
            if "avro" in parts
            else None
        )
        doc = self.text(parts["doc"][1], "doc") if "doc" in parts else None
        full_name = self.full_name(parts, f"message {name}")
        numbers, names = (
            self.reserved(parts["reserved"][1], f"message {name}")
            if "reserved" in parts
            else ((), ())
        )
        fields: list[Field] = []
        oneofs: list[Oneof] = []
        tags: dict[int, str] = {}
        json_names: dict[str, str] = {}
        taken: set[str] = set()  # field and group names: one namespace, as in Protobuf

        def add(key: yaml.ScalarNode, spec: yaml.Node, f: Field) -> None:
            fname = f.name
            if fname in taken:
                self.fail(key, f"{name}.{fname}: the name is already used in {name}", "rename it")
            taken.add(fname)
            if f.tag in tags:
                self.fail(
                    spec,
                    f"{name}.{fname}: tag {f.tag} is already used by {tags[f.tag]}",
                    "pick an unused tag",
                )
            for lo, hi in numbers:
                if lo <= f.tag <= hi:
                    self.fail(
                        spec,
                        f"{name}.{fname}: tag {f.tag} is reserved"
                        + (f" ({lo} to {hi})" if lo != hi else ""),
                        "an earlier version used it: pick another tag",
                    )
            if fname in names:
                self.fail(
                    key,
                    f"{name}.{fname}: the name is reserved",
                    "an earlier version used it: pick another name",
                )
            tags[f.tag] = fname
            camel = json_name(fname)
            if camel in json_names:
                self.fail(
                    key,
                    f"{name}.{fname} clashes with {json_names[camel]} once spelled in camelCase",
                    "rename one of them",
                )
            json_names[camel] = fname
            fields.append(f)

        if "fields" in parts and not (
            isinstance(parts["fields"][1], yaml.ScalarNode)
            and parts["fields"][1].value in ("", "~", "null")
        ):
            for key, spec in self.mapping(parts["fields"][1], f"message {name} fields"):
                fname = self.identifier(key, f"{name} field name")
                if isinstance(spec, yaml.MappingNode) and any(
                    k.value == "oneof" for k, _ in spec.value if isinstance(k, yaml.ScalarNode)
                ):
                    group = self.oneof(name, fname, spec)
                    if fname in taken or fname in names:
                        used = "reserved" if fname in names else "already used"
                        self.fail(key, f"{name}.{fname}: the name is {used}", "rename the oneof")
                    members = [(k, s, self.member(name, fname, k, s)) for k, s in group[1]]
                    for mkey, mspec, f in members:
                        if f.name == fname:
                            self.fail(mkey, f"{name}.{fname}: a member has the oneof's name")
                        add(mkey, mspec, f)
                    taken.add(fname)
                    hint = None
                    if group[2] is not None:
                        n = len(members)

                        def problem(h: Any, n: int = n) -> str | None:
                            return group_problem(h, n)

                        hint = self.avro(group[2], f"{name}.{fname}", problem)
                    oneofs.append(
                        Oneof(fname, tuple(f.name for _, _, f in members), group[0], avro=hint)
                    )
                    continue
                add(key, spec, self.field(name, fname, spec))
        return Message(
            name,
            tuple(fields),
            doc,
            numbers,
            names,
            tuple(oneofs),
            full_name=full_name,
            avro=avro,
        )

    def oneof(
        self, message: str, group: str, spec: yaml.Node
    ) -> tuple[str | None, list[tuple[yaml.ScalarNode, yaml.Node]], yaml.Node | None]:
        """A ``NAME: {oneof: {member: TYPE = TAG, ...}, doc: ...}`` entry: its doc, members
        and ``avro`` hint node."""
        where = f"{message}.{group}"
        parts = {k.value: (k, v) for k, v in self.mapping(spec, where)}
        for key, _ in parts.values():
            if key.value not in ("oneof", "doc", "avro"):
                self.fail(
                    key,
                    f"{where}: unknown key {key.value!r} in a oneof",
                    "a oneof has 'oneof' (its members), 'doc' and 'avro'",
                )
        doc = self.text(parts["doc"][1], "doc") if "doc" in parts else None
        body = parts["oneof"][1]
        if not isinstance(body, yaml.MappingNode) or not body.value:
            self.fail(
                body,
                f"{where}: a oneof needs its members, a mapping of at least one field",
                "write 'oneof: {name: TYPE = TAG, ...}'",
            )
        hint = parts["avro"][1] if "avro" in parts else None
        return doc, list(self.mapping(body, f"{where} oneof")), hint

    def member(self, message: str, group: str, key: yaml.ScalarNode, spec: yaml.Node) -> Field:
        """A field of a oneof: any scalar, enum or message, never a list or map, never
        marked optional (a member has presence already), never an XML attribute."""
        fname = self.identifier(key, f"{message}.{group} member name")
        f = self.field(message, fname, spec)
        where = f"{message}.{fname}"
        if isinstance(f.type, ListOf | MapOf):
            self.fail(
                spec,
                f"{where}: a oneof member cannot be a {'list' if isinstance(f.type, ListOf) else 'map'}",
                "wrap it in a message",
            )
        if f.optional:
            self.fail(
                spec,
                f"{where}: a oneof member cannot be optional",
                "drop 'optional': a member is present or not already",
            )
        if f.xml_attribute:
            self.fail(
                spec,
                f"{where}: a oneof member cannot be an XML attribute",
                "drop 'xml: attribute': members are elements (an xs:choice)",
            )
        return dataclasses.replace(f, oneof=group)

    def full_name(
        self, parts: dict[str, tuple[yaml.ScalarNode, yaml.Node]], what: str
    ) -> str | None:
        """``full_name: pkg.Outer.Inner``: the Protobuf name an imported type came from."""
        if "full_name" not in parts:
            return None
        node = parts["full_name"][1]
        text = self.text(node, f"{what} full_name")
        if not DOTTED.match(text):
            self.fail(node, f"{what}: full_name {text!r} must be a dotted name like 'pkg.Type'")
        return text

    def reserved(
        self, node: yaml.Node, owner: str, lowest: int = 1, highest: int = MAX_TAG
    ) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
        """``reserved: [2, 15, "9 to 11", "20 to max", old_name]``: numbers, ranges (as
        Protobuf spells them) and names that no field (or enum value) may take."""
        where = f"{owner} reserved"
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{where}: a list of numbers, 'N to M' ranges and field names")
        numbers: list[tuple[int, int]] = []
        names: list[str] = []
        for item in node.value:
            text = item.value if isinstance(item, yaml.ScalarNode) else None
            if text is None:
                self.fail(item, f"{where}: a list of numbers, 'N to M' ranges and field names")
            span = re.fullmatch(r"(-?[0-9]+)(?:\s+to\s+(-?[0-9]+|max))?", text.strip())
            if span and (item.tag != "tag:yaml.org,2002:str" or span[2]):  # 5, "5 to 9"
                lo = int(span[1])
                hi = highest if span[2] == "max" else int(span[2] or lo)
                if not lowest <= lo <= hi <= highest:
                    self.fail(item, f"{where}: {text!r} is not a range within {lowest}..{highest}")
                numbers.append((lo, hi))
            elif IDENTIFIER.match(text):
                names.append(text)
            else:
                self.fail(item, f"{where}: {text!r} is neither a number, a range nor a name")
        return tuple(numbers), tuple(names)

    def field(self, message: str, name: str, spec: yaml.Node) -> Field:
        where = f"{message}.{name}"
        optional = False
        required = False
        wrapper = False
        default_node: yaml.Node | None = None
        wrapper_node: yaml.Node | None = None
        xml_attribute = False
        packed: bool | None = None
        doc: str | None = None
        gen: dict[str, Any] | None = None
        avro_node: yaml.Node | None = None
        tag_node: yaml.Node = spec
        if isinstance(spec, yaml.ScalarNode):
            m = SHORTHAND.match(str(spec.value))
            assert m is not None  # the pattern matches any string
            type_text, tag_text = m["type"], m["tag"]
            if tag_text is None:
                self.fail(spec, f"{where}: missing tag", f"write '{type_text} = N' with a unique N")
            if not re.fullmatch(r"[0-9]+", tag_text):
                self.fail(spec, f"{where}: tag {tag_text!r} is not a whole number")
            tag = int(tag_text)
            type_node: yaml.Node = spec
        elif isinstance(spec, yaml.MappingNode):
            parts = {k.value: (k, v) for k, v in self.mapping(spec, where)}
            for key, _ in parts.values():
                if key.value not in FIELD_KEYS:
                    self.fail(
                        key,
                        f"{where}: unknown key {key.value!r}",
                        f"expected one of {sorted(FIELD_KEYS)}",
                    )
            if "type" not in parts or "tag" not in parts:
                self.fail(spec, f"{where}: the long form needs 'type' and 'tag'")
            type_node = parts["type"][1]
            type_text = self.text(type_node, f"{where} type")
            tag_node = parts["tag"][1]
            tag = self.integer(tag_node, f"{where} tag")
            if "optional" in parts:
                opt = parts["optional"][1]
                if not isinstance(opt, yaml.ScalarNode) or opt.tag != "tag:yaml.org,2002:bool":
                    self.fail(opt, f"{where}: optional must be true or false")
                optional = opt.value.lower() == "true"
            if "required" in parts:
                required = self.boolean(parts["required"][1], f"{where}: required")
            if "wrapper" in parts:
                wrapper_node = parts["wrapper"][1]
                wrapper = self.boolean(wrapper_node, f"{where}: wrapper")
            if "default" in parts:
                default_node = parts["default"][1]
            if "packed" in parts:
                node = parts["packed"][1]
                if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
                    self.fail(node, f"{where}: packed must be true or false")
                packed = node.value.lower() == "true"
            if "xml" in parts:
                xml = self.text(parts["xml"][1], f"{where} xml")
                if xml not in ("attribute", "element"):
                    self.fail(parts["xml"][1], f"{where}: xml must be 'attribute' or 'element'")
                xml_attribute = xml == "attribute"
            if "doc" in parts:
                doc = self.text(parts["doc"][1], "doc")
            if "avro" in parts:
                avro_node = parts["avro"][1]
            if "gen" in parts:
                loaded = yaml.safe_load(yaml.serialize(parts["gen"][1]))
                if not isinstance(loaded, dict):
                    self.fail(parts["gen"][1], f"{where}: gen must be a mapping of hints")
                gen = loaded
        else:
            self.fail(spec, f"{where}: a field is 'TYPE = TAG' or a mapping with type and tag")
        if type_text.startswith("optional "):
            optional = True
            type_text = type_text[len("optional ") :].strip()
        elif type_text.startswith("required "):
            required = True
            type_text = type_text[len("required ") :].strip()
        ftype = self.type_expr(type_text, type_node, where)
        if required and optional:
            self.fail(type_node, f"{where}: a field cannot be both optional and required")
        if required and isinstance(ftype, ListOf | MapOf):
            self.fail(
                type_node,
                f"{where}: a list or map cannot be required",
                "an empty one is a value; only singular fields may be required",
            )
        if wrapper and not (
            optional
            and isinstance(ftype, Scalar)
            and ftype.kind in WRAPPER_TYPES
            and not ftype.encoding
        ):
            self.fail(
                wrapper_node,
                f"{where}: wrapper needs an 'optional' field of one of"
                f" {', '.join(WRAPPER_TYPES)}, not {'optional ' if optional else ''}{ftype}",
                "lists of wrappers are not supported: a wrapper element without a value"
                " would read as 0",
            )
        default: Any = None
        if default_node is not None:
            default = self.default(where, ftype, default_node, optional, required, wrapper)
        if not 1 <= tag <= MAX_TAG:
            self.fail(tag_node, f"{where}: tag {tag} is out of range", f"use 1..{MAX_TAG}")
        if tag in RESERVED_TAGS:
            self.fail(
                tag_node, f"{where}: tags 19000-19999 are reserved by Protobuf", "pick another tag"
            )
        if optional and isinstance(ftype, ListOf | MapOf):
            self.fail(
                type_node,
                f"{where}: a list or map cannot be optional",
                "an empty one already means none",
            )
        if xml_attribute and not isinstance(ftype, Scalar | EnumRef):
            self.fail(
                type_node, f"{where}: xml: attribute needs a scalar or enum field, not {ftype}"
            )
        if packed is not None and not (isinstance(ftype, ListOf) and _packable(ftype.item)):
            self.fail(
                parts["packed"][1],
                f"{where}: packed applies to a list of numbers, bools or enums, not {ftype}",
            )
        f = Field(
            name,
            ftype,
            tag,
            optional,
            xml_attribute,
            doc,
            gen,
            packed is not False,
            required,
            default,
            wrapper,
        )
        if avro_node is not None:
            hint = self.avro(avro_node, where, lambda h: field_problem(f, h), normal)
            f = dataclasses.replace(f, avro=hint)
        return f

    def avro(
        self,
        node: yaml.Node,
        where: str,
        problem: Callable[[Any], str | None],
        shape: Callable[[Any], Any] = lambda v: v,
    ) -> dict[str, Any]:
        """An ``avro:`` hint (schema/avro_hint.py), checked by ``problem``."""
        hint = shape(yaml.safe_load(yaml.serialize(node)))
        bad = problem(hint)
        if bad is not None:
            self.fail(node, f"{where}: {bad}", "see docs/schema.md, 'Importing .avsc files'")
        return hint  # type: ignore[no-any-return]

    def default(
        self,
        where: str,
        ftype: FieldType,
        node: yaml.Node,
        optional: bool,
        required: bool,
        wrapper: bool,
    ) -> Any:
        """``default: X``: what an absent optional (or required) scalar or enum field means
        to Protobuf readers, checked against the type."""
        if not (optional or required) or wrapper:
            self.fail(
                node,
                f"{where}: a default needs an 'optional' or 'required' field (not a wrapper)",
                "a plain field's default is its zero value",
            )
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.fail(node, f"{where}: a default is one value of the field's type")
        enum = self.enums.get(ftype.name) if isinstance(ftype, EnumRef) else None
        # Not decimals: proto2 defaults are for protoc's scalars, and a decimal is a string there.
        scalar = isinstance(ftype, Scalar) and ftype.kind not in ("timestamp", "decimal")
        if not scalar and enum is None:
            self.fail(node, f"{where}: a default applies to a scalar or enum field, not {ftype}")
        value = yaml.safe_load(yaml.serialize(node))
        try:
            return parse_default(ftype, enum, value)
        except DefaultError as exc:
            self.fail(node, f"{where}: default {exc}")

    def type_expr(self, text: str, node: yaml.Node, where: str) -> FieldType:
        tokens: list[str] = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[<>,()]|\S", text)
        pos = 0

        def take() -> str:
            nonlocal pos
            if pos >= len(tokens):
                self.fail(node, f"{where}: type {text!r} ends too early")
            pos += 1
            return tokens[pos - 1]

        def expect(tok: str) -> None:
            got = take()
            if got != tok:
                self.fail(node, f"{where}: in type {text!r} expected {tok!r}, found {got!r}")

        def element(context: str) -> ElementType:
            t = parse()
            if isinstance(t, ListOf | MapOf):
                self.fail(
                    node,
                    f"{where}: {context} cannot hold another list or map",
                    "wrap the inner one in a message",
                )
            return t

        def parse() -> FieldType:
            tok = take()
            if tok == "list":
                expect("<")
                item = element("a list")
                expect(">")
                return ListOf(item)
            if tok == "map":
                expect("<")
                key = parse()
                if not (isinstance(key, Scalar) and key.kind in MAP_KEY_KINDS):
                    self.fail(
                        node,
                        f"{where}: map key type {key} is not allowed",
                        f"use one of {sorted(MAP_KEY_KINDS)}",
                    )
                expect(",")
                value = element("a map")
                expect(">")
                return MapOf(key, value)
            if tok == "decimal":
                return decimal()
            for kind in SCALAR_KINDS:
                if tok == kind:
                    return Scalar(kind)
            if tok in ENCODED_INTEGERS:
                kind, encoding = ENCODED_INTEGERS[tok]
                return Scalar(kind, encoding)
            if tok in self.enum_names:
                return EnumRef(tok)
            if tok in self.message_names:
                return MessageRef(tok)
            if tok == "optional":
                self.fail(node, f"{where}: 'optional' may only lead the whole field type")
            self.fail(node, f"{where}: unknown type {tok!r}", self.hint(tok))

        def decimal() -> Scalar:
            # decimal(p, s): p digits in all (1..MAX_DECIMAL_PRECISION), s after the point.
            usage = f"write decimal(P, S) with 1 <= P <= {MAX_DECIMAL_PRECISION} and 0 <= S <= P"
            expect("(")
            ptext = take()
            expect(",")
            stext = take()
            expect(")")
            if not (ptext.isdigit() and stext.isdigit()):
                self.fail(
                    node, f"{where}: decimal precision and scale must be whole numbers", usage
                )
            precision, scale = int(ptext), int(stext)
            if not 1 <= precision <= MAX_DECIMAL_PRECISION:
                self.fail(node, f"{where}: decimal precision {precision} is out of range", usage)
            if scale > precision:
                self.fail(
                    node, f"{where}: decimal scale {scale} exceeds precision {precision}", usage
                )
            return Scalar("decimal", precision=precision, scale=scale)

        if not text:
            self.fail(node, f"{where}: missing type")
        result = parse()
        if pos != len(tokens):
            self.fail(node, f"{where}: unexpected {tokens[pos]!r} after type in {text!r}")
        return result

    def check_required_cycles(
        self, messages: dict[str, Message], nodes: dict[Any, yaml.Node]
    ) -> None:
        """A non-optional message field always holds a value, so a cycle of them never ends.
        Iterative: a schema may chain thousands of messages, past Python's stack."""
        node_of = {k.value: v for k, v in nodes.items()}
        state: dict[str, int] = {}

        def required(name: str) -> list[tuple[str, str]]:
            return [
                (f.name, f.type.name)
                for f in messages[name].fields
                if isinstance(f.type, MessageRef) and not f.optional
            ]

        for start in messages:
            if start in state:
                continue
            state[start] = 1
            trail = [start]
            stack = [iter(required(start))]
            while stack:
                name = trail[-1]
                for field, nxt in stack[-1]:
                    if state.get(nxt) == 1:
                        cycle = " -> ".join([*trail[trail.index(nxt) :], nxt])
                        self.fail(
                            node_of[name],
                            f"required cycle {cycle}: a value of it could never end",
                            f"make {name}.{field} optional (or a list)",
                        )
                    if nxt not in state:
                        state[nxt] = 1
                        trail.append(nxt)
                        stack.append(iter(required(nxt)))
                        break
                else:
                    state[name] = 2
                    trail.pop()
                    stack.pop()
