"""The JSON schema a model receives for a tool, without what pydantic adds for humans.

A tool's schema is sent with every model call, so every token in it is paid again and again.
Pydantic's schema carries titles, ``anyOf: [X, null]`` for every optional field, ``default: null``
and ``additionalProperties: false``; none of it helps a model fill the arguments (validation
still uses the full pydantic model). What is left: types, enums, bounds, patterns, defaults that
say something, and descriptions.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DROP = frozenset({"title", "additionalProperties"})


def compact_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, trimmed for a model to read; ``$defs`` used once are inlined."""
    schema: dict[str, Any] = model.model_json_schema()
    defs = schema.pop("$defs", {})
    uses: dict[str, int] = {}
    _count_refs(schema, uses)
    for body in defs.values():
        _count_refs(body, uses)
    inline = {name for name in defs if uses.get(name, 0) <= 1}

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in inline:
                merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
                return resolve(merged)
        return _compact(node, resolve)

    out: dict[str, Any] = resolve(schema)
    kept = {name: resolve(body) for name, body in defs.items() if name not in inline}
    if kept:
        out["$defs"] = kept
    return out


def _compact(node: dict[str, Any], resolve: Any) -> dict[str, Any]:
    node = dict(node)
    options = node.get("anyOf")
    if isinstance(options, list):
        real = [o for o in options if o != {"type": "null"}]
        if len(real) < len(options):  # optional: absence already says "may be left out"
            node.pop("anyOf")
            if node.get("default", ...) is None:
                node.pop("default")
            if len(real) == 1:
                node = {**real[0], **node}
                if "$ref" in node:
                    return resolve(node)  # type: ignore[no-any-return]
            else:
                node["anyOf"] = real
    if node.get("default", ...) is None:
        node.pop("default")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP and not isinstance(value, dict):
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: resolve(sub) for name, sub in value.items()}
        elif key in {"items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"}:
            out[key] = resolve(value)
        else:
            out[key] = value
    return out


def _count_refs(node: Any, uses: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            uses[name] = uses.get(name, 0) + 1
        for value in node.values():
            _count_refs(value, uses)
    elif isinstance(node, list):
        for item in node:
            _count_refs(item, uses)
