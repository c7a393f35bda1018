"""The JSON schema a model receives for a tool, shaped through pydantic's own schema hooks.

A tool's schema is sent with every model call, so every token in it is paid again and again.
Pydantic's schema carries titles, ``anyOf: [X, null]`` for every optional field, ``default: null``
and ``additionalProperties: false``; none of it helps a model fill the arguments (validation
still uses the full pydantic model). :class:`CompactJsonSchema` keeps types, enums, bounds,
patterns, defaults that say something, and descriptions.

OpenAI's strict mode wants the opposite: every object closed and every property listed as
required, an optional one admitting ``null``. :class:`StrictJsonSchema` writes that form; a
``null`` then means "not given" (``ArgsModel`` drops it before validation).

Both keep to what every major provider accepts: each node has a type, no ``$ref``, and no object
without properties. Types a model cannot fill from a free-form schema say how they are sent:
:class:`KeyValues` (a mapping as a list of ``{key, value}`` objects) and :class:`JsonText` (a
free-form object as JSON text); both accept the mapping itself too, so a request is the same
whichever form arrives.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

# Keywords a compact schema leaves out, unless they hold a schema.
_DROP = frozenset({"title", "additionalProperties"})
# What OpenAI's strict mode accepts of a node (see tests/test_schema.py); everything
# else is left out, a default becoming words in the description.
_STRICT_KEYS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_NULL = {"type": "null"}
_strict: ContextVar[bool] = ContextVar("langchain_posthog_strict_schema", default=False)


def strict_schema_wanted() -> bool:
    """Whether the schema being generated is the strict one; for a field's own schema hook."""
    return _strict.get()


class CompactJsonSchema(GenerateJsonSchema):
    """Pydantic's JSON schema, trimmed for a model to read; ``$defs`` are inlined."""

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        """Generate pydantic's schema, then compact it."""
        return compact(super().generate(schema, mode))


class StrictJsonSchema(GenerateJsonSchema):
    """The schema OpenAI's strict mode accepts: closed objects, optional fields nullable."""

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        """Generate pydantic's schema (hooks see :func:`strict_schema_wanted`), then close it."""
        with _strict_generation():
            raw = super().generate(schema, mode)
        return strictly(raw)


@contextlib.contextmanager
def _strict_generation() -> Iterator[None]:
    token = _strict.set(True)
    try:
        yield
    finally:
        _strict.reset(token)


# -- types that say how a model sends them ---------------------------------------------------


class _SentAs:
    """A field a model may send in another form, which :meth:`decode` turns into the field's."""

    def decode(self, value: Any) -> Any:
        """Return ``value`` in the field's own form, or as it is when it is not the other form."""
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.decode, handler(source))


class KeyValues(_SentAs):
    """Mark a ``dict[str, X]`` field as sent by a model as ``[{"key": ..., "value": X}, ...]``.

    An object with arbitrary keys has no ``properties`` to declare, which Gemini refuses and
    OpenAI's strict mode cannot express; a list of pairs is typed everywhere. The mapping itself
    is still accepted, and a list becomes the same mapping before validation.
    """

    def __init__(self, key: str | None = None, value: str | None = None) -> None:
        """``key`` and ``value`` describe what the keys and the values are."""
        self.key = key
        self.value = value

    def decode(self, value: Any) -> Any:
        """A list of pairs becomes the mapping; anything else is left for validation."""
        return _from_pairs(value)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        mapping = handler(schema)
        key: dict[str, Any] = {"type": "string"}
        if self.key:
            key["description"] = self.key
        value = dict(mapping.get("additionalProperties") or {})
        if self.value:
            value["description"] = self.value
        pair = {
            "type": "object",
            "properties": {"key": key, "value": value},
            "required": ["key", "value"],
        }
        return {"type": "array", "items": pair}


class JsonText(_SentAs):
    """Mark a free-form object field as sent by a model as JSON text (an object also works).

    A free-form object (``{"type": "object"}`` and nothing else) is refused by Gemini and by
    OpenAI's strict mode; a string is typed everywhere, and its text is decoded before
    validation, so PostHog receives the object either way.
    """

    def decode(self, value: Any) -> Any:
        """JSON text becomes what it encodes; anything else is left for validation."""
        return from_json_text(value)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string"}


def _from_pairs(value: Any) -> Any:
    value = from_json_text(value)
    if not isinstance(value, list):
        return value
    mapping: dict[Any, Any] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) != {"key", "value"}:
            raise ValueError('give a list of {"key": ..., "value": ...} objects')
        if item["key"] in mapping:
            raise ValueError(f"key {item['key']!r} is given twice")
        mapping[item["key"]] = item["value"]
    return mapping


def from_json_text(value: Any) -> Any:
    """What JSON text encodes; anything else, and text that does not parse, as given.

    Left as is, a value that does not fit is then named by validation, field and type.
    """
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# -- the compact form ------------------------------------------------------------------------


def compact(schema: dict[str, Any]) -> dict[str, Any]:
    """Trim pydantic's ``schema`` for a model to read: no titles, nulls or ``$defs``."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = _inline(node, defs)
        return _compact(node, resolve)

    out: dict[str, Any] = resolve(schema)
    return out


def _compact(node: dict[str, Any], resolve: Callable[[Any], Any]) -> dict[str, Any]:
    node = dict(node)
    options = node.get("anyOf")
    if isinstance(options, list):
        real = [o for o in options if o != _NULL]
        if len(real) < len(options):  # optional: absence already says "may be left out"
            node.pop("anyOf")
            if node.get("default", ...) is None:
                node.pop("default")
            if len(real) == 1:
                return resolve({**real[0], **node})  # type: ignore[no-any-return]
            node["anyOf"] = real
        node["anyOf"] = _merge_numbers(node["anyOf"])
    if node.get("default", ...) is None:
        node.pop("default")
    enum = node.get("enum")
    if isinstance(enum, list) and enum and node.get("default", ...) == enum[0]:
        node.pop("default")  # the first choice, which a model leaving it out gets anyway
    if node.get("minimum", ...) == 0 and node.get("type") == "integer":
        node.pop("minimum")  # validation still refuses a negative count or share
    _type_enum(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP and not isinstance(value, dict):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: resolve(sub) for name, sub in value.items()}
        elif key in {"items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"}:
            out[key] = resolve(value)
        else:
            out[key] = value
    return out


def _merge_numbers(options: list[Any]) -> list[Any]:
    """``integer`` says nothing beside a bare ``number`` (every integer is a number)."""
    if {"type": "number"} in options:
        return [o for o in options if o != {"type": "integer"}]
    return options


def _type_enum(node: dict[str, Any]) -> None:
    """Give an enum its type; say a numeric enum's values in words (Gemini's enums are text)."""
    values = node.get("enum")
    if not isinstance(values, list):
        return
    if "type" not in node and values and all(isinstance(v, str) for v in values):
        node["type"] = "string"
    if node.get("type") in {"integer", "number"}:
        node.pop("enum")
        listed = ", ".join(str(v) for v in values)
        said = node.get("description", "")
        if not all(str(v) in said for v in values):
            node["description"] = f"{said} One of {listed}.".strip()


def _inline(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        body = defs[ref.removeprefix("#/$defs/")]
        return _inline({**body, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    return node


# -- the strict form -------------------------------------------------------------------------


def strictly(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite pydantic's ``schema`` for OpenAI's strict mode: closed, inlined, nullable."""
    defs = schema.pop("$defs", {})

    def visit(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        node = dict(_inline(node, defs))
        if "oneOf" in node:  # a discriminated union: strict mode knows anyOf only
            node["anyOf"] = node.pop("oneOf")
        if "const" in node:
            node["enum"] = [node.pop("const")]
        _type_enum_strict(node)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "default":
                if value is not None:
                    said = node.get("description", "")
                    out["description"] = f"{said} Default: {json.dumps(value)}.".strip()
                continue
            if key not in _STRICT_KEYS or (key == "description" and "description" in out):
                continue
            if key == "properties":
                out[key] = {name: visit(sub) for name, sub in value.items()}
            elif key == "items":
                out[key] = visit(value)
            elif key == "anyOf":
                out[key] = [visit(o) for o in value]
            else:
                out[key] = value
        if out.get("type") == "object" or "properties" in out:
            _close(out)
        return out

    out: dict[str, Any] = visit(schema)
    return out


def _type_enum_strict(node: dict[str, Any]) -> None:
    values = node.get("enum")
    if "type" not in node and values and all(isinstance(v, str) for v in values):
        node["type"] = "string"


def _close(node: dict[str, Any]) -> None:
    """Every property required, optional ones nullable, nothing else allowed."""
    properties: dict[str, Any] = node.setdefault("properties", {})
    required = set(node.get("required", ()))
    for name, sub in properties.items():
        if name not in required and not _admits_null(sub):
            properties[name] = _nullable(sub)
    node["required"] = list(properties)
    node["additionalProperties"] = False


def _admits_null(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or any(_admits_null(o) for o in node.get("anyOf", ()))
    )


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], _NULL]}
    description = node.get("description")
    inner = {k: v for k, v in node.items() if k != "description"}
    out: dict[str, Any] = {"anyOf": [inner, _NULL]}
    if description:
        out["description"] = description
    return out
