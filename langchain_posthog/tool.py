"""One generic LangChain tool, built from a row of the action table."""

from __future__ import annotations

import contextlib
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Union

# From the defining module: importing through langchain_core.tools' lazy __getattr__ made
# this package ~75 ms slower to import (benchmarks/import_time.py), for the same modules.
from langchain_core.callbacks.manager import CallbackManager
from langchain_core.messages.tool import ToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config
from langchain_core.tools.base import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from langchain_posthog.calls import Plan
from langchain_posthog.client import PostHogClient, logger
from langchain_posthog.errors import PostHogAPIError, PostHogError
from langchain_posthog.schema import compact_schema

Scope = Literal["read", "write", "destructive"]

# What BaseTool.run does after _run returns or raises, so that a call taking the direct path
# (PostHogTool.invoke) answers exactly as run() would. A LangChain release without them sends
# every call down the full path.
try:
    from langchain_core.tools.base import (
        _format_output,
        _handle_tool_error,
        _handle_validation_error,
    )

    _DIRECT = True
except ImportError:  # pragma: no cover
    _DIRECT = False

PROJECT_ID_DESCRIPTION = (
    "Project id from posthog_list_projects; '@current' is the key's current project."
)
ProjectId = Annotated[
    str, Field(pattern=r"^(\d{1,20}|@current)$", description=PROJECT_ID_DESCRIPTION)
]


class ArgsModel(BaseModel):
    """Base of every tool's arguments: unknown fields are refused, JSON strings are decoded.

    Models often send an object or a list as a JSON string; where a field wants structure, a
    string that parses is accepted as what it encodes.
    """

    # Validators are built on first use, not at import: the package defines ~60 models and a
    # toolkit seldom uses them all (benchmarks/import_time.py).
    model_config = ConfigDict(extra="forbid", defer_build=True)

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
        for name, alias in _structured_fields(cls):
            key = name if name in decoded else alias
            value = decoded.get(key) if key else None
            if isinstance(value, str):
                # Left as is when it does not parse: pydantic then names the field and the type.
                with contextlib.suppress(ValueError):
                    decoded[key] = json.loads(value)
        return decoded


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

    def ui(self, path: str) -> str:
        """A link into PostHog's UI for ``path`` (``feature_flags/12``) in this project."""
        if self.project_id.isdigit():
            return f"{self.app_url}/project/{self.project_id}/{path}"
        return f"{self.app_url}/{path}"


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
def args_schema(action: Action, bound: bool) -> type[ArgsModel]:
    """The arguments a model sees: the action's own, plus ``project_id`` when none is bound."""
    if bound or not action.project_scoped:
        return action.args
    return create_model(
        action.args.__name__,
        __base__=action.args,
        __module__=action.args.__module__,
        project_id=(ProjectId, "@current"),
    )


@cache
def _model_schema(action: Action, bound: bool) -> dict[str, Any]:
    return compact_schema(args_schema(action, bound))


# Argument names that hold the id of the object a request is about, for 404 messages.
_ID_FIELDS = ("id", "short_id", "session_id", "survey_id", "distinct_id")
_STRUCTURE_ERRORS = frozenset({"dict_type", "list_type", "model_type", "model_attributes_type"})


def format_validation_error(error: ValidationError | Exception) -> str:
    """List each field's problem, for a model to correct its call."""
    if not isinstance(error, ValidationError):
        return f"Invalid arguments, nothing was sent to PostHog: {error}"
    lines = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"]) or "arguments"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown argument; remove it"
        elif item["type"] in _STRUCTURE_ERRORS and isinstance(item.get("input"), str):
            message += " (a string was given that is not valid JSON)"
        lines.append(f"- {loc}: {message}")
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
        scope = f" The key needs the '{action.api_scope}' scope." if action.api_scope else ""
        return f"Permission denied (403) in {where}: {detail or 'forbidden'}.{scope}"
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


class PostHogTool(BaseTool):
    """A LangChain tool for one PostHog action, sharing its toolkit's client.

    Content is compact text for the model; the artifact is PostHog's full JSON (secrets removed).
    PostHog errors come back to the model as error messages, never as crashes.
    """

    action: Action = Field(exclude=True)
    client: PostHogClient = Field(exclude=True)
    bound_project: str | None = Field(default=None, exclude=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    handle_validation_error: bool | str | Callable[[Any], str] | None = format_validation_error

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def from_action(
        cls, action: Action, client: PostHogClient, bound_project: str | None
    ) -> PostHogTool:
        """Build the tool for ``action``; ``bound_project`` hides ``project_id`` from the model."""
        return cls(
            name=action.name,
            description=action.description,
            args_schema=args_schema(action, bound_project is not None),
            action=action,
            client=client,
            bound_project=bound_project,
            metadata={
                "read_only": action.scope == "read",
                "destructive": action.scope == "destructive",
                "catalogue_action": f"POSTHOG_{action.catalogue}" if action.catalogue else None,
                "scope": action.scope,
            },
        )

    @property
    def tool_call_schema(self) -> dict[str, Any]:
        """What the model receives: the args schema without pydantic's human-facing extras."""
        return _model_schema(self.action, self.bound_project is not None)

    # -- the direct path ---------------------------------------------------------------------

    def invoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the tool; the same answer as ``BaseTool.invoke``, faster when nothing observes.

        ``BaseTool.run`` starts a callback run, copies the config into a context variable,
        inspects ``_run``'s signature and validates the input twice over, whether or not
        anything observes the call: it costs more than this tool's own code
        (benchmarks/overhead.py). When LangChain's own ``CallbackManager.configure`` finds no
        handler for a call (no callbacks, tracer, verbose or debug output, or configure hook),
        nothing can see those steps, so the input is validated once and ``_run`` runs directly.
        Anything else (callbacks, tracing, extra run arguments, string input) goes through
        ``BaseTool.invoke``.
        """
        direct = self._direct_call(input, config, kwargs)
        if direct is None:
            return super().invoke(input, config, **kwargs)
        arguments, call_id = direct
        try:
            content, artifact = self._call(*self._parse(arguments))
        except (ValidationError, ToolException) as error:
            return self._failed(error, call_id)
        return _format_output(content, artifact, call_id, self.name, "success")

    async def ainvoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the tool asynchronously; see :meth:`invoke` for when LangChain's run is skipped."""
        direct = self._direct_call(input, config, kwargs)
        if direct is None:
            return await super().ainvoke(input, config, **kwargs)
        arguments, call_id = direct
        try:
            content, artifact = await self._acall(*self._parse(arguments))
        except (ValidationError, ToolException) as error:
            return self._failed(error, call_id)
        return _format_output(content, artifact, call_id, self.name, "success")

    def _direct_call(
        self, input: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None] | None:
        """``(arguments, tool call id)`` when nothing observes this call, else ``None``."""
        if kwargs or not _DIRECT or not isinstance(input, dict):
            return None
        arguments: Any = input
        call_id: str | None = None
        if input.get("type") == "tool_call":
            arguments, call_id = input.get("args"), input.get("id")
            if not isinstance(arguments, dict):
                return None
        # Tags and metadata never add a handler; leaving them out halves configure's cost.
        callbacks = CallbackManager.configure(
            ensure_config(config).get("callbacks"), self.callbacks, self.verbose
        )
        return None if callbacks.handlers else (arguments, call_id)

    def _parse(self, arguments: dict[str, Any]) -> tuple[Any, Context]:
        """Validate once; the arguments and context ``_run`` would build from LangChain's."""
        schema = self.args_schema
        assert isinstance(schema, type) and issubclass(schema, BaseModel)
        parsed = schema.model_validate(arguments)
        if schema is self.action.args:
            return parsed, self._context(None)
        # BaseTool._parse_input hands _run every field, as validated: each field of these
        # models is either required or has a default.
        return self._prepare({name: getattr(parsed, name) for name in type(parsed).model_fields})

    def _failed(self, error: ValidationError | ToolException, call_id: str | None) -> Any:
        content: Any
        if isinstance(error, ValidationError):
            if not self.handle_validation_error:
                raise error
            content = _handle_validation_error(error, flag=self.handle_validation_error)
        else:
            if not self.handle_tool_error:
                raise error
            content = _handle_tool_error(error, flag=self.handle_tool_error)
        return _format_output(content, None, call_id, self.name, "error")

    # -- running the action -------------------------------------------------------------------

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[Any, Context]:
        project = kwargs.pop("project_id", None)
        return self.action.args.model_construct(**kwargs), self._context(project)

    def _context(self, project: str | None) -> Context:
        project = project or self.bound_project or "@current"
        return Context(project_id=str(project), app_url=self.client.app_url)

    # No run_manager parameter: the tool starts no child runs, and LangChain inspects this
    # signature on every call (see _resolve_annotations_once below).
    def _run(self, **kwargs: Any) -> tuple[str, Any]:
        return self._call(*self._prepare(kwargs))

    async def _arun(self, **kwargs: Any) -> tuple[str, Any]:
        return await self._acall(*self._prepare(kwargs))

    def _call(self, args: Any, ctx: Context) -> tuple[str, Any]:
        try:
            data = self.client.run(self.action.plan(args, ctx))
        except PostHogError as error:
            raise ToolException(explain(error, self.action, args, ctx)) from None
        return self._render(data, args, ctx), data

    async def _acall(self, args: Any, ctx: Context) -> tuple[str, Any]:
        try:
            data = await self.client.arun(self.action.plan(args, ctx))
        except PostHogError as error:
            raise ToolException(explain(error, self.action, args, ctx)) from None
        return self._render(data, args, ctx), data

    def _render(self, data: Any, args: Any, ctx: Context) -> str:
        try:
            return self.action.render(data, args, ctx)
        except (AttributeError, KeyError, TypeError, IndexError, ValueError):
            # A 2xx whose body is not the object this tool reads: an empty answer, or a proxy's
            # page. The model gets a message; the traceback goes to the log, so that a bug in a
            # renderer is still seen.
            logger.warning("could not render PostHog's answer for %s", self.name, exc_info=True)
            kind = "an empty answer" if data in (None, "", [], {}) else f"a {type(data).__name__}"
            raise ToolException(
                f"PostHog answered {self.name}'s request with {kind}, not what this tool reads. "
                "Check POSTHOG_HOST points at PostHog itself; the request may have been applied."
            ) from None


def _resolve_annotations_once(*methods: Callable[..., Any]) -> None:
    """Store evaluated type hints and a ready signature on ``methods``.

    On every invoke, LangChain calls ``inspect.signature`` on ``_run``/``_arun`` and
    ``typing.get_type_hints`` on them (looking for ``run_manager`` and a ``RunnableConfig``
    parameter). With postponed annotations that means compiling and evaluating strings each
    time, about 0.13 ms per call; resolved once here, it costs a dictionary copy.
    """
    for method in methods:
        method.__annotations__ = typing.get_type_hints(method)
        method.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]


_resolve_annotations_once(PostHogTool._run, PostHogTool._arun)
