"""One row of the action table: an action, its arguments model, and what a model reads of it.

The rows themselves live in ``langchain_posthog.actions``, one module per PostHog area; the tool
that runs a row is ``langchain_posthog.tool.PostHogTool``. Nothing here depends on LangChain.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.json_schema import (
    DEFAULT_REF_TEMPLATE,
    GenerateJsonSchema,
    JsonSchemaMode,
    model_json_schema,
)

from langchain_posthog.calls import Plan
from langchain_posthog.errors import PostHogAPIError, PostHogError
from langchain_posthog.redaction import mask_key_shapes
from langchain_posthog.schema import CompactJsonSchema, StrictJsonSchema

Scope = Literal["read", "write", "destructive"]

PROJECT_ID_DESCRIPTION = (
    "Project id from posthog_list_projects; '@current' is the key's current project."
)
ProjectId = Annotated[
    str, Field(pattern=r"^(\d{1,20}|@current)$", description=PROJECT_ID_DESCRIPTION)
]


class ArgsModel(BaseModel):
    """Base of every tool's arguments: unknown fields are refused, JSON strings are decoded.

    Models often send an object or a list as a JSON string; where a field wants structure, a
    string that parses is accepted as what it encodes. A ``null`` for a field that has a default
    means "not given" (OpenAI's strict mode makes a model send one for every optional field).

    ``model_json_schema()`` is what a model reads: compact by default, or OpenAI's strict form
    for a class with ``strict_schema`` set (see ``langchain_posthog.schema``). Any other
    ``schema_generator`` passed explicitly is used as given.
    """

    # Validators are built on first use, not at import: the package defines ~60 models and a
    # toolkit seldom uses them all (benchmarks/import_time.py).
    model_config = ConfigDict(extra="forbid", defer_build=True)
    strict_schema: ClassVar[bool] = False

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool | None = None,
        ref_template: str = DEFAULT_REF_TEMPLATE,
        schema_generator: type[GenerateJsonSchema] | None = None,
        mode: JsonSchemaMode = "validation",
        *,
        union_format: Literal["any_of", "primitive_type_array"] = "any_of",
    ) -> dict[str, Any]:
        """The JSON schema a model receives for these arguments (see the class docstring)."""
        if schema_generator is None and (by_alias, ref_template, mode, union_format) == (
            None,
            DEFAULT_REF_TEMPLATE,
            "validation",
            "any_of",
        ):
            # Asked for on every bind_tools; callers may change what they get.
            return copy.deepcopy(_model_schema(cls))
        generator = schema_generator or (
            StrictJsonSchema if cls.strict_schema else CompactJsonSchema
        )
        return super().model_json_schema(
            by_alias, ref_template, generator, mode, union_format=union_format
        )

    @model_validator(mode="before")
    @classmethod
    def _decode_json_strings(cls, data: Any) -> Any:
        if isinstance(data, str) and data.strip().startswith("{"):
            try:
                data = json.loads(data)
            except ValueError:
                return data
        if not isinstance(data, dict):
            return data
        decoded = dict(data)
        for name, alias in _defaulted_fields(cls):
            for key in (name, alias):
                if key in decoded and decoded[key] is None:
                    del decoded[key]
        for name, alias in _structured_fields(cls):
            key = name if name in decoded else alias
            value = decoded.get(key) if key else None
            if isinstance(value, str):
                # Left as is when it does not parse: pydantic then names the field and the type.
                with contextlib.suppress(ValueError):
                    decoded[key] = json.loads(value)
        return decoded


@cache
def _model_schema(model: type[ArgsModel]) -> dict[str, Any]:
    generator = StrictJsonSchema if model.strict_schema else CompactJsonSchema
    return model_json_schema(model, schema_generator=generator)


@cache
def _defaulted_fields(model: type[BaseModel]) -> tuple[tuple[str, str | None], ...]:
    """Return (name, alias) of each field whose default is not ``None``, once per model."""
    return tuple(
        (name, info.alias)
        for name, info in model.model_fields.items()
        if not info.is_required()
        and (info.default_factory is not None or info.get_default() is not None)
    )


@cache
def _structured_fields(model: type[BaseModel]) -> tuple[tuple[str, str | None], ...]:
    """Return (name, alias) of each field that takes objects or lists, once per model."""
    return tuple(
        (name, info.alias)
        for name, info in model.model_fields.items()
        if _wants_structure(info.annotation)
    )


def _wants_structure(annotation: Any) -> bool:
    """True when a field takes objects or lists and never a plain string."""
    members = _members(annotation)
    if str in members or any(typing.get_origin(m) is Literal for m in members):
        return False
    return any(
        typing.get_origin(m) in (list, dict, tuple)
        or m in (list, dict)
        or (isinstance(m, type) and issubclass(m, BaseModel))
        for m in members
    )


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


@dataclass(frozen=True)
class Context:
    """What a plan or a renderer knows beyond its arguments: the project and the UI origin."""

    project_id: str
    app_url: str

    def ui(self, path: str, answer: Any = None) -> str:
        """A link into PostHog's UI for ``path`` (``feature_flags/12``) in this project.

        PostHog's UI routes ``/project/<id>/...``, with an id or a project key but never
        '@current', and opens a path without a project in the project its user has selected
        (addProjectIdIfMissing, frontend/src/lib/utils/router-utils.ts in PostHog). For
        '@current' the id comes from ``answer`` when PostHog put one there (``team_id`` on
        dashboards, batch exports and embedded flags); otherwise the link says where it opens.
        """
        project = self.project_id if self.project_id.isdigit() else self._team_of(answer)
        if project is not None:
            return f"{self.app_url}/project/{project}/{path}"
        return f"{self.app_url}/{path} (opens in the viewer's current project)"

    @staticmethod
    def _team_of(answer: Any) -> int | None:
        """The project (team) id an answer carries, on itself or an object it embeds."""
        if not isinstance(answer, dict):
            return None
        for item in (answer, *(v for v in answer.values() if isinstance(v, dict))):
            team = item.get("team_id")
            if isinstance(team, int) and not isinstance(team, bool) and team > 0:
                return team
        return None


@dataclass(frozen=True, eq=False)
class Action:
    """One PostHog action: everything needed to build, run and explain its tool.

    Attributes:
        name: the tool's name (public API).
        description: what the model reads: what it does, when to use it, what comes back.
        args: the arguments model.
        plan: ``plan(args, ctx)``, a generator yielding the calls to make; returns the data.
        render: ``render(data, args, ctx)``, the compact text the model reads.
        scope: ``read``, ``write`` or ``destructive``.
        catalogue: the old catalogue's action name, such as ``CREATE_FEATURE_FLAG``.
        api_scope: the personal-API-key scope PostHog requires, named in 403 messages.
        project_scoped: whether the request goes to a project, so ``project_id`` applies.
        capture: sends events with the project key instead of using the personal key.
        not_found: what to tell a model that used an id that does not exist.
        explain: an action's own wording for some PostHog errors, or ``None`` for the default.
        example: arguments for a call that the cassettes answer (standard tests, docs).
    """

    name: str
    description: str
    args: type[ArgsModel]
    plan: Callable[[Any, Context], Plan[Any]]
    render: Callable[[Any, Any, Context], str]
    scope: Scope = "read"
    catalogue: str | None = None
    api_scope: str | None = None
    project_scoped: bool = True
    capture: bool = False
    not_found: str = ""
    explain: Callable[[PostHogAPIError, Any, Context], str | None] | None = None
    example: Mapping[str, Any] = field(default_factory=dict)


@cache
def args_schema(action: Action, bound: bool, strict: bool = False) -> type[ArgsModel]:
    """The arguments a model sees: the action's own, plus ``project_id`` when none is bound.

    With ``strict``, the class's JSON schema is OpenAI's strict form; validation is the same.
    """
    fields: dict[str, Any] = {}
    if not bound and action.project_scoped:
        fields["project_id"] = (ProjectId, "@current")
    if not fields and not strict:
        return action.args
    model = typing.cast(
        "type[ArgsModel]",
        create_model(
            action.args.__name__, __base__=action.args, __module__=action.args.__module__, **fields
        ),
    )
    model.strict_schema = strict
    return model


# Argument names that hold the id of the object a request is about, for 404 messages.
_ID_FIELDS = ("id", "short_id", "session_id", "survey_id", "distinct_id")
_STRUCTURE_ERRORS = frozenset({"dict_type", "list_type", "model_type", "model_attributes_type"})


def format_validation_error(error: ValidationError | Exception) -> str:
    """List each field's problem, for a model to correct its call."""
    if not isinstance(error, ValidationError):
        return f"Invalid arguments, nothing was sent to PostHog: {mask_key_shapes(str(error))}"
    lines = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"]) or "arguments"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown argument; remove it"
        elif item["type"] in _STRUCTURE_ERRORS and isinstance(item.get("input"), str):
            message += " (a string was given that is not valid JSON)"
        # A message may quote the input: a key pasted into an argument is not repeated.
        lines.append(f"- {loc}: {mask_key_shapes(message)}")
    return "Invalid arguments, nothing was sent to PostHog:\n" + "\n".join(lines)


def explain(error: PostHogError, action: Action, args: Any, ctx: Context) -> str:
    """Turn a PostHog error into a message that tells a model what to do next."""
    if not isinstance(error, PostHogAPIError):
        return str(error)
    if action.explain is not None:
        custom = action.explain(error, args, ctx)
        if custom:
            return custom
    status, detail = error.status, (error.detail or "").rstrip(".")
    where = f"project {ctx.project_id}" if action.project_scoped else "PostHog"
    if status == 401:
        return (
            f"PostHog rejected the personal API key (401: {detail or 'authentication failed'}). "
            f"Check POSTHOG_PERSONAL_API_KEY, and that POSTHOG_HOST is the key's region "
            f"(US or EU; this toolkit talks to {ctx.app_url}). Retrying will not help."
        )
    if status == 403:
        advice = forbidden_advice(detail)
        return f"Permission denied (403) in {where}: {detail or 'forbidden'}. {advice}"
    if status == 404:
        hint = f" {action.not_found}" if action.not_found else ""
        ident = next((getattr(args, n, None) for n in _ID_FIELDS if getattr(args, n, None)), None)
        what = f"nothing with id {ident} exists" if ident is not None else "no such object"
        return f"Not found (404) in {where}: {what} ({detail or 'not found'}).{hint}"
    if status in {400, 409, 422}:
        field_text = f"field {error.attr!r}: " if error.attr else ""
        return (
            f"PostHog refused the request ({status}): {field_text}{detail or 'invalid input'}. "
            "Fix the arguments and call again."
        )
    if status == 402:
        return (
            f"This needs a paid PostHog plan or add-on (402): {detail or 'payment required'}. "
            "Tell the user; retrying will not help."
        )
    if status == 429:
        waited = (
            f" after {error.attempts} attempts over {error.waited:.1f} s"
            if error.attempts > 1
            else ""
        )
        later = (
            f" Wait at least {error.retry_after:.0f} s before calling PostHog again"
            if error.retry_after
            else " Wait a minute before calling PostHog again"
        )
        return (
            f"PostHog is rate limiting this key (429){waited}: {detail}.{later}, or do other work."
        )
    if status >= 500:
        tries = f" after {error.attempts} attempts" if error.attempts > 1 else ""
        advice = (
            "It is usually transient; try again shortly."
            if error.safe_to_retry
            else "PostHog may or may not have applied it: check (get or list the object) "
            "before trying again, or it may be done twice."
        )
        return (
            f"PostHog had a server error ({status}){tries}: {detail or 'internal error'}. {advice}"
        )
    return str(error)


# PostHog's own words for a 403 (posthog/permissions.py: APIScopePermission,
# TeamMemberAccessPermission, the organization's personal-API-key setting), each with its fix.
_MISSING_SCOPE = re.compile(r"missing required scope '([\w:*-]+)'")
_FORBIDDEN_ADVICE = (
    (
        re.compile(r"does not have access to the requested project"),
        "The key is limited to other projects: pick a project from posthog_list_projects, or "
        "add this project to the key under Settings -> Personal API keys.",
    ),
    (
        re.compile(r"does not have access to the requested organization"),
        "The key is limited to other organizations: use a project of the key's organizations, "
        "or widen the key under Settings -> Personal API keys.",
    ),
    (
        re.compile(r"does not allow using personal API keys"),
        "The organization does not allow personal API keys for members: ask an organization "
        "admin to allow them, or to run this. Retrying will not help.",
    ),
    (
        re.compile(r"don't have access to the project"),
        "The key's owner is not a member of this project: pick a project from "
        "posthog_list_projects, or ask an admin for access. Retrying will not help.",
    ),
    (
        re.compile(r"sufficient permissions|access level is insufficient|do not have \w+ access"),
        "The key's owner has too low a role here: ask a project or organization admin to do it "
        "or to raise the role. Retrying will not help.",
    ),
    (
        re.compile(r"does not support personal API key access"),
        "PostHog does not allow this with a personal API key; tell the user to do it in "
        "PostHog's UI.",
    ),
)


def forbidden_advice(detail: str | None) -> str:
    """What to do about a 403, from what PostHog said about it."""
    text = detail or ""
    scope = _MISSING_SCOPE.search(text)
    if scope:
        return (
            f"The key lacks the '{scope.group(1)}' scope: add it to the key under Settings -> "
            "Personal API keys (or use a key that has it). Retrying will not help."
        )
    for pattern, advice in _FORBIDDEN_ADVICE:
        if pattern.search(text):
            return advice
    return "Tell the user what PostHog said; retrying will not help."
