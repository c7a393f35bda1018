"""Every tool's schema is one that Gemini, Anthropic and OpenAI's strict mode accept.

The checks below are the providers' documented rules, written out as validators:

Gemini function declarations take a select subset of an OpenAPI 3.0 schema object
(https://ai.google.dev/api/caching#Schema, https://ai.google.dev/gemini-api/docs/function-calling
"Function declarations"; Vertex AI's https://cloud.google.com/vertex-ai/docs/reference/rest/v1/Schema):
a ``type`` on every node (a single name; a union is an ``anyOf`` of typed members, none ``null``),
only the listed fields (no ``$ref``/``$defs``, ``additionalProperties``, ``const``, ``oneOf``,
``allOf``...), an ``enum`` of text, ``items`` on every array, and ``properties`` on every object,
non-empty ("should be non-empty for OBJECT type", the API's own error for an empty one; a
function without parameters leaves ``parameters`` out). Names: a letter or ``_`` first, then
letters, digits, ``_ . : -``, at most 64.

Anthropic's tool definitions (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview,
"Specifying client tools"): a name matching ``^[a-zA-Z0-9_-]{1,64}$`` and an ``input_schema`` that
is a JSON Schema whose root is ``type: object``; the API refuses ``oneOf``/``allOf``/``anyOf`` at
the root ("input_schema does not support oneOf, allOf, or anyOf at the top level").

OpenAI's strict mode (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
and https://platform.openai.com/docs/guides/function-calling#strict-mode): the root an object and
not ``anyOf``; every object ``additionalProperties: false`` with every property in ``required``
(an optional field admits ``null`` instead); only the supported keywords: ``type``,
``description``, ``properties``, ``required``, ``additionalProperties``, ``items``, ``enum``,
``const``, ``anyOf``, ``$ref``/``$defs``, and per type ``pattern``/``format`` (strings),
``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/``multipleOf`` (numbers),
``minItems``/``maxItems`` (arrays); so no ``default`` ("'default' is not permitted", the API's
error) and, as the page lists them only since 2025 and not for every model, no
``minLength``/``maxLength``; at most 5000 properties and 10 levels of nesting.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import httpx
import jsonschema
import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.tool import PostHogTool
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

# -- Gemini -----------------------------------------------------------------------------------

_GEMINI_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_GEMINI_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
_GEMINI_FIELDS = {
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
}
_BY_TYPE = {
    "string": {"minLength", "maxLength", "pattern", "enum"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum"},
    "array": {"items", "minItems", "maxItems"},
    "object": {"properties", "required", "minProperties", "maxProperties", "propertyOrdering"},
}
_PYTHON: dict[str, Any] = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


def gemini_problems(function: dict[str, Any]) -> list[str]:
    """What Gemini would refuse in an OpenAI-style function definition."""
    problems = []
    if not _GEMINI_NAME.match(function["name"]):
        problems.append(f"name {function['name']!r}")
    parameters = function.get("parameters") or {}
    if parameters.get("properties"):  # a function without parameters sends none
        problems += _gemini_node(parameters, "parameters")
    elif set(parameters) - {"type", "properties", "required"}:
        problems.append("parameters: an object without properties")
    return problems


def _gemini_node(node: Any, at: str) -> list[str]:
    if not isinstance(node, dict):
        return [f"{at}: not a schema"]
    problems = [f"{at}: {key} is not a Schema field" for key in set(node) - _GEMINI_FIELDS]
    if "anyOf" in node:
        options = node["anyOf"]
        if not isinstance(options, list) or not options:
            return [*problems, f"{at}: anyOf needs members"]
        for i, option in enumerate(options):
            if option.get("type") == "null":
                problems.append(f"{at}.anyOf.{i}: null is not a type")
            else:
                problems += _gemini_node(option, f"{at}.anyOf.{i}")
        if "type" not in node:
            return problems
    kind = node.get("type")
    if kind not in _GEMINI_TYPES:
        return [*problems, f"{at}: type {kind!r}"]
    for key in set(node) & set().union(*_BY_TYPE.values()) - _BY_TYPE.get(kind, set()):
        problems.append(f"{at}: {key} on a {kind}")
    if "enum" in node and not all(isinstance(v, str) for v in node["enum"]):
        problems.append(f"{at}: enum values must be text")
    if "default" in node:
        default = node["default"]
        wrong_type = kind not in _PYTHON or not isinstance(default, _PYTHON[kind])
        if wrong_type or (kind in {"integer", "number"} and isinstance(default, bool)):
            problems.append(f"{at}: default {default!r} on a {kind}")
        elif "enum" in node and default not in node["enum"]:
            problems.append(f"{at}: default {default!r} not in enum")
    if kind == "array":
        if "items" not in node:
            problems.append(f"{at}: an array without items")
        else:
            problems += _gemini_node(node["items"], f"{at}.items")
    if kind == "object":
        properties = node.get("properties")
        if not isinstance(properties, dict) or not properties:
            problems.append(f"{at}: an object without properties")
            properties = {}
        for name, sub in properties.items():
            problems += _gemini_node(sub, f"{at}.{name}")
        for name in node.get("required", []):
            if name not in properties:
                problems.append(f"{at}: required {name!r} is not a property")
    return problems


# -- Anthropic --------------------------------------------------------------------------------

_ANTHROPIC_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def anthropic_problems(function: dict[str, Any]) -> list[str]:
    """What Anthropic would refuse in a tool built from an OpenAI-style function."""
    problems = []
    if not _ANTHROPIC_NAME.match(function["name"]):
        problems.append(f"name {function['name']!r}")
    schema = function["parameters"]
    if schema.get("type") != "object":
        problems.append("input_schema: the root is not type object")
    problems += [
        f"input_schema: {k} at the root" for k in ("oneOf", "allOf", "anyOf") if k in schema
    ]
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        problems.append(f"input_schema: not a JSON Schema ({error.message})")
    return problems


# -- OpenAI strict mode -----------------------------------------------------------------------

_STRICT_KEYWORDS = {
    "type",
    "description",
    "title",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "$ref",
    "$defs",
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
_STRICT_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}
_STRICT_FORMATS = {
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
}


def strict_problems(tool: dict[str, Any]) -> list[str]:
    """What OpenAI's strict mode would refuse in ``convert_to_openai_tool(..., strict=True)``."""
    function = tool["function"]
    problems = []
    if function.get("strict") is not True:
        problems.append("strict is not set")
    if not _ANTHROPIC_NAME.match(function["name"]):  # OpenAI's rule is the same
        problems.append(f"name {function['name']!r}")
    schema = function["parameters"]
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("parameters: the root must be an object, not anyOf")
    counts = {"properties": 0}
    problems += _strict_node(schema, "parameters", 1, counts)
    if counts["properties"] > 5000:
        problems.append("more than 5000 properties")
    return problems


def _strict_node(node: Any, at: str, depth: int, counts: dict[str, int]) -> list[str]:
    if not isinstance(node, dict):
        return [f"{at}: not a schema"]
    problems = [f"{at}: {key} is not supported" for key in set(node) - _STRICT_KEYWORDS]
    if depth > 10:
        problems.append(f"{at}: nested deeper than 10 levels")
    for i, option in enumerate(node.get("anyOf", [])):
        problems += _strict_node(option, f"{at}.anyOf.{i}", depth, counts)
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds is None:
        if not {"anyOf", "$ref", "enum", "const"} & set(node):
            problems.append(f"{at}: no type")
        return problems
    problems += [f"{at}: type {k!r}" for k in kinds if k not in _STRICT_TYPES]
    if "format" in node and node["format"] not in _STRICT_FORMATS:
        problems.append(f"{at}: format {node['format']!r}")
    if "array" in kinds:
        if "items" not in node:
            problems.append(f"{at}: an array without items")
        else:
            problems += _strict_node(node["items"], f"{at}.items", depth + 1, counts)
    if "object" in kinds:
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return [*problems, f"{at}: an object without properties"]
        counts["properties"] += len(properties)
        if node.get("additionalProperties") is not False:
            problems.append(f"{at}: additionalProperties is not false")
        if sorted(node.get("required", [])) != sorted(properties):
            problems.append(f"{at}: not every property is required")
        for name, sub in properties.items():
            problems += _strict_node(sub, f"{at}.{name}", depth + 1, counts)
    return problems


def admits_null(node: dict[str, Any]) -> bool:
    kinds = node.get("type")
    return (
        kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or any(admits_null(o) for o in node.get("anyOf", []))
    )


# -- the tools --------------------------------------------------------------------------------


def make_tools(*, bound: bool, strict: bool = False, **settings: Any) -> list[PostHogTool]:
    options: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "include_destructive": True,
        "strict": strict,
        **settings,
    }
    if bound:
        options["project_id"] = PROJECT_ID
    tools = PostHogToolkit(**options).get_tools()
    assert len(tools) == len(ACTIONS)
    return [t for t in tools if isinstance(t, PostHogTool)]


BOUND = {t.name: t for t in make_tools(bound=True)}
FREE = {t.name: t for t in make_tools(bound=False)}
STRICT_BOUND = {t.name: t for t in make_tools(bound=True, strict=True)}
STRICT_FREE = {t.name: t for t in make_tools(bound=False, strict=True)}
NAMES = sorted(BOUND)


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
@pytest.mark.parametrize("name", NAMES)
def test_gemini_and_anthropic_accept_every_tool(name: str, bound: bool) -> None:
    tool = (BOUND if bound else FREE)[name]
    function = convert_to_openai_tool(tool)["function"]
    assert gemini_problems(function) == []
    assert anthropic_problems(function) == []
    # What LangChain sends is the args model's own JSON schema, the one MCP adapters read too.
    schema = tool.tool_call_schema.model_json_schema()
    assert function["parameters"] == {k: v for k, v in schema.items() if k != "description"}
    assert ("project_id" in schema["properties"]) == (not bound and tool.action.project_scoped)


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
@pytest.mark.parametrize("name", NAMES)
def test_openai_strict_mode_accepts_every_strict_tool(name: str, bound: bool) -> None:
    tool = (STRICT_BOUND if bound else STRICT_FREE)[name]
    converted = convert_to_openai_tool(tool, strict=True)
    assert strict_problems(converted) == []
    # LangChain's own strict pass has nothing left to change: the schema was strict already.
    assert converted["function"]["parameters"] == tool.tool_call_schema.model_json_schema()
    # Optional for the model means nullable: every field with a default admits null.
    properties = converted["function"]["parameters"]["properties"]
    for field, info in tool.tool_call_schema.model_fields.items():
        if field not in properties:  # accepted for the catalogue's calls, never advertised
            assert any(isinstance(m, SkipJsonSchema) for m in info.metadata), field
            continue
        assert admits_null(properties[field]) == (not info.is_required()), field


def test_the_validators_refuse_what_the_providers_refuse() -> None:
    """Each rule above catches its case, or a green run would prove nothing."""
    free_form = {"type": "object", "properties": {"value": {}, "meta": {"type": "object"}}}
    assert {p.split(":")[0] for p in gemini_problems({"name": "t", "parameters": free_form})} == {
        "parameters.value",
        "parameters.meta",
    }
    mapping = {"type": "object", "additionalProperties": {"type": "string"}}
    both = {"type": "object", "properties": {"m": mapping, "a": {"type": "array"}}}
    assert len(gemini_problems({"name": "t", "parameters": both})) == 3
    nullable = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert gemini_problems(
        {"name": "t", "parameters": {"type": "object", "properties": {"n": nullable}}}
    ) == ["parameters.n.anyOf.1: null is not a type"]
    assert anthropic_problems({"name": "a b", "parameters": {"anyOf": [free_form]}}) == [
        "name 'a b'",
        "input_schema: the root is not type object",
        "input_schema: anyOf at the root",
    ]
    loose = {"type": "object", "properties": {"limit": {"type": "integer", "default": 5}}}
    tool = {"function": {"name": "t", "strict": True, "parameters": loose}}
    assert strict_problems(tool) == [
        "parameters: additionalProperties is not false",
        "parameters: not every property is required",
        "parameters.limit: default is not supported",
    ]


def test_todays_free_form_schemas_would_be_refused() -> None:
    """The shapes these tools used to send: a typeless value, a free-form object, a mapping."""
    for node in ({}, {"type": "object"}, {"type": "object", "additionalProperties": True}):
        schema = {"type": "object", "properties": {"x": node}}
        assert gemini_problems({"name": "t", "parameters": schema})
        closed = json.loads(json.dumps(schema))
        closed.update(additionalProperties=False, required=["x"])
        assert strict_problems({"function": {"name": "t", "strict": True, "parameters": closed}})


# -- what a strict model sends ----------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_a_null_for_every_optional_field_means_not_given(action: Any) -> None:
    """A strict call with every field it does not need null sends what the call without them does.

    Strict mode makes a model fill every field, null where it has nothing to say; the request
    PostHog gets must be the one a call naming only the needed fields makes.
    """
    sent: list[tuple[str, str, bytes]] = []

    def server(request: httpx.Request) -> httpx.Response:
        body = request.content
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        sent.append((request.method, str(request.url), body))
        return httpx.Response(599, json={"detail": "stop here"})

    def tool(strict: bool) -> PostHogTool:
        client = httpx.Client(transport=httpx.MockTransport(server))
        kit = make_tools(bound=False, strict=strict, max_retries=0, http_client=client)
        return next(t for t in kit if t.name == action.name)

    plain, strict = tool(False), tool(True)
    given = dict(action.example)
    nulls = {name: None for name in strict.tool_call_schema.model_fields if name not in given}
    assert all(not strict.tool_call_schema.model_fields[n].is_required() for n in nulls)
    first = plain.invoke({"name": action.name, "args": given, "id": "1", "type": "tool_call"})
    expected = list(sent)
    sent.clear()
    call = {"name": action.name, "args": {**given, **nulls}, "id": "1", "type": "tool_call"}
    second = strict.invoke(call)
    assert expected, "the example sends a request"
    assert second.content == first.content and second.status == first.status
    assert [(m, u) for m, u, _ in sent] == [(m, u) for m, u, _ in expected]
    # Bodies match but for each event's fresh uuid.
    uuid = re.compile(rb'"uuid":\s*"[0-9a-f-]{36}"')
    assert [uuid.sub(b"", b) for _, _, b in sent] == [uuid.sub(b"", b) for _, _, b in expected]


def test_a_strict_flag_call_with_only_its_key_sends_only_the_key() -> None:
    """The bare form: every optional field null, and PostHog gets the flag the key alone makes."""
    bodies: list[Any] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"id": 1, "key": "k", "active": True, "filters": {}})

    client = httpx.Client(transport=httpx.MockTransport(server))
    tool = next(
        t
        for t in make_tools(bound=True, strict=True, http_client=client)
        if t.name == "posthog_create_feature_flag"
    )
    args = {name: None for name in tool.tool_call_schema.model_fields} | {"key": "k"}
    message = tool.invoke({"name": tool.name, "args": args, "id": "1", "type": "tool_call"})
    assert message.status == "success", message.content
    assert bodies == [
        {
            "key": "k",
            "filters": {"groups": [{"properties": [], "rollout_percentage": 0}]},
            "active": True,
        }
    ]
