"""A synthesized Terraform JSON document (`cdk.tf.json`) as HCL files, one per construct.

The output is python-hcl2's document model (blocks marked `__is_block__`, string literals quoted,
expressions as `${...}`), which `hcl2.dumps` writes as HCL. What this module decides:

- which JSON objects are nested blocks and which are object-valued attributes (the provider
  schema, see schema.py);
- meta-arguments, whose JSON forms are strings standing for references (`depends_on`,
  `lifecycle.ignore_changes`, `provider`, provisioners);
- strings: templates keep their interpolations, a lone interpolation becomes its expression, and a
  string attribute holding a JSON document (task container definitions, dashboard body, lifecycle
  policy) becomes `jsonencode(...)` of the same value, so it can be read and edited as HCL;
- no cdktf metadata (`//` keys);
- the file each element goes to: the first construct below the stack in its `//` metadata path
  (`McpServerAmazonECSStack/network/vpc` -> network.tf).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import hcl2
import hcl2.api
from hcl2.deserializer import BaseDeserializer
from hcl2.formatter import BaseFormatter
from hcl2.rules.abstract import LarkElement, LarkRule
from hcl2.rules.containers import ObjectRule
from hcl2.rules.strings import StringRule
from hcl2.rules.tokens import COMMA

from .schema import PROVISIONER, Block, ProviderSchemas
from .templates import quoted_template, sole_interpolation

IS_BLOCK = "__is_block__"
#: HCL's own style: no commas between the lines of a multi-line object.
OPTIONS = hcl2.DeserializerOptions(object_elements_trailing_comma=False)
_EXTRA_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: Object keys that would read as keywords if left bare.
_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if"})
_RESOURCE_META = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner"})
_ELEMENT_KINDS = ("data", "ephemeral", "resource")

HclValue = Any
#: File name (without .tf) -> python-hcl2 document.
Files = dict[str, dict[str, list[Any]]]


class ConversionError(ValueError):
    """The document uses something the exporter does not translate (it names what)."""


def expression(text: str) -> str:
    """An HCL expression in python-hcl2's document model."""
    return "${" + text + "}"


def string_value(text: str) -> str:
    inner = sole_interpolation(text)
    return expression(inner) if inner is not None else quoted_template(text)


def value(raw: Any) -> HclValue:
    """A JSON-syntax expression value (attribute, object element, output value) in HCL."""
    if isinstance(raw, str):
        return string_value(raw)
    if isinstance(raw, list):
        return [value(item) for item in raw]
    if isinstance(raw, dict):
        return {object_key(key): value(item) for key, item in raw.items()}
    return raw


def label(name: str) -> str:
    """A block label, quoted as Terraform writes them."""
    return quoted_template(name)


def object_key(key: str) -> str:
    if _IDENTIFIER.fullmatch(key) and key not in _KEYWORDS:
        return key
    return quoted_template(key)


def _embedded_json(raw: str) -> Any | None:
    """The document inside a string attribute that holds JSON (an object or array), else None."""
    stripped = raw.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict | list) and document else None


class _Deserializer(BaseDeserializer):
    """python-hcl2's dict reader, with every quoted string read by its HCL parser: its own
    splitter drops an escaped quote next to an interpolation (`"a \\"${x}\\""`)."""

    def _deserialize_string(self, value: str) -> StringRule:
        return self._deserialize_string_via_parser(value)


def _hcl_text(converted: HclValue) -> str:
    """python-hcl2's one-line rendering of a value, to nest it inside a function call."""
    single_line = hcl2.DeserializerOptions(object_elements_trailing_comma=True)
    tree = _Deserializer(single_line).load_python({"value": converted})
    return hcl2.api.reconstruct(tree).split("=", 1)[1].strip()


def attribute_value(raw: Any) -> HclValue:
    if isinstance(raw, str):
        document = _embedded_json(raw)
        if document is not None:
            return expression(f"jsonencode({_hcl_text(value(document))})")
    return value(raw)


def reference(raw: str) -> str:
    """A reference written as a string (`"aws_lb.main"` or `"${aws_lb.main}"`) as an expression."""
    inner = sole_interpolation(raw)
    return expression(inner if inner is not None else raw)


def _nested_bodies(raw: Any) -> list[dict[str, Any]]:
    return [item for item in (raw if isinstance(raw, list) else [raw]) if isinstance(item, dict)]


def body(raw: Mapping[str, Any], schema: Block | None) -> dict[str, Any]:
    """A block body: attributes and nested blocks, told apart by the block's schema."""
    converted: dict[str, Any] = {IS_BLOCK: True}
    block_types = (schema or {}).get("block_types", {})
    for key, item in raw.items():
        if key == "//":
            continue
        nested = block_types.get(key)
        if nested is None:
            converted[key] = attribute_value(item)
        elif nested["nesting_mode"] == "map":
            converted[key] = [{label(name): body(b, nested["block"])} for name, b in item.items()]
        else:
            converted[key] = [body(b, nested["block"]) for b in _nested_bodies(item)]
    return converted


def _lifecycle(raw: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {IS_BLOCK: True}
    for key, item in raw.items():
        if key in {"ignore_changes", "replace_triggered_by"} and isinstance(item, list):
            converted[key] = [reference(entry) for entry in item]
        elif key == "ignore_changes" and item == "all":
            converted[key] = expression("all")
        elif key in {"precondition", "postcondition"}:
            converted[key] = [body(b, None) for b in _nested_bodies(item)]
        else:
            converted[key] = value(item)
    return converted


def element_body(raw: Mapping[str, Any], schema: Block | None) -> dict[str, Any]:
    """A resource, data source or ephemeral resource: its schema's body plus meta-arguments."""
    converted = body({k: v for k, v in raw.items() if k not in _RESOURCE_META}, schema)
    for key in ("count", "for_each"):
        if key in raw:
            converted[key] = value(raw[key])
    if "provider" in raw:
        converted["provider"] = reference(raw["provider"])
    if "depends_on" in raw:
        converted["depends_on"] = [reference(entry) for entry in raw["depends_on"]]
    if "lifecycle" in raw:
        converted["lifecycle"] = [_lifecycle(raw["lifecycle"])]
    provisioners = [
        {label(kind): body(settings, PROVISIONER)}
        for entry in raw.get("provisioner", [])
        for kind, settings in entry.items()
    ]
    if provisioners:
        converted["provisioner"] = provisioners
    return converted


def _terraform_block(raw: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {IS_BLOCK: True}
    for key, item in raw.items():
        if key == "required_providers":
            converted[key] = [{IS_BLOCK: True, **{name: value(spec) for name, spec in item.items()}}]
        elif key == "backend":
            converted[key] = [{label(kind): body(settings, None)} for kind, settings in item.items()]
        elif key == "//":
            continue
        else:
            converted[key] = value(item)
    return converted


class Layout:
    """Which file an element goes to: its construct below the stack (network, service, ...)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.constructs: set[str] = set()
        for kind in _ELEMENT_KINDS:
            for elements in document.get(kind, {}).values():
                for element in elements.values():
                    path = self._path(element)
                    if len(path) > 2:
                        self.constructs.add(path[1])

    @staticmethod
    def _path(element: Mapping[str, Any]) -> list[str]:
        return element.get("//", {}).get("metadata", {}).get("path", "").split("/")

    def file_for(self, name: str, element: Mapping[str, Any]) -> str:
        path = self._path(element)
        if len(path) > 2:
            return path[1]
        if len(path) == 2:
            return "main"
        # No metadata (cdktf omits it on ephemeral resources): the name starts with the construct.
        owners = [c for c in self.constructs if name.startswith(f"{c}_")]
        return max(owners, key=len) if owners else "main"


def convert(
    document: Mapping[str, Any],
    schemas: ProviderSchemas,
    locals_file: str = "main",
) -> Files:
    """The document as HCL files (`locals` go to `locals_file`)."""
    unsupported = set(document) - {"//", "terraform", "provider", *_ELEMENT_KINDS, "output", "locals"}
    if unsupported:
        raise ConversionError(f"export-hcl does not translate top-level {sorted(unsupported)}")
    files: Files = defaultdict(lambda: defaultdict(list))
    files["terraform"]["terraform"].append(_terraform_block(document.get("terraform", {})))
    for local_name, configurations in document.get("provider", {}).items():
        for configuration in configurations:
            files["providers"]["provider"].append(
                {label(local_name): body(configuration, schemas.provider(local_name))}
            )
    if "locals" in document:
        files[locals_file]["locals"].append({IS_BLOCK: True, **value(document["locals"])})
    layout = Layout(document)
    for kind in _ELEMENT_KINDS:
        for type_name, elements in document.get(kind, {}).items():
            schema = schemas.block(kind, type_name)
            for name, element in elements.items():
                converted = element_body(element, schema)
                files[layout.file_for(name, element)][kind].append(
                    {label(type_name): {label(name): converted}}
                )
    for name, output in document.get("output", {}).items():
        files["outputs"]["output"].append({label(name): {IS_BLOCK: True, **value(output)}})
    return {name: dict(blocks) for name, blocks in files.items()}


def _drop_object_commas(rule: LarkElement) -> None:
    """Objects parsed from one-line text keep their commas; multi-line HCL objects have none."""
    if not isinstance(rule, LarkRule):
        return
    for child in rule.children:
        _drop_object_commas(child)
    if isinstance(rule, ObjectRule):
        BaseFormatter._set_children(rule, [c for c in rule.children if not isinstance(c, COMMA)])


def dumps(blocks: Mapping[str, Any]) -> str:
    """python-hcl2's HCL for one file's blocks (`terraform fmt` finishes the layout)."""
    tree = _Deserializer(OPTIONS).load_python(dict(blocks))
    _drop_object_commas(tree)
    BaseFormatter().format_tree(tree)
    return hcl2.api.reconstruct(tree)


def render(files: Files, header: Callable[[str], str]) -> dict[str, str]:
    """File name -> HCL text. python-hcl2 leaves two blank lines between blocks, `terraform fmt`
    keeps them; one is the convention. (Strings here never hold a raw newline: they are escaped.)"""
    return {
        f"{name}.tf": header(name) + _EXTRA_BLANK_LINES.sub("\n\n", dumps(blocks))
        for name, blocks in sorted(files.items())
    }
