"""One generic LangChain tool, built from a row of the action table."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, Literal

# From the defining module: importing through langchain_core.tools' lazy __getattr__ made
# this package ~75 ms slower to import (benchmarks/import_time.py), for the same modules.
from langchain_core.tools.base import BaseTool, ToolException
from pydantic import ConfigDict, Field

from langchain_posthog.about import logger
from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._row import Action, Context, args_schema
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.errors import PostHogError
from langchain_posthog.api.redaction import Redactor
from langchain_posthog.messages import explain, format_validation_error


class PostHogTool(BaseTool):
    """A LangChain tool for one PostHog action, sharing its toolkit's client.

    Content is compact text for the model; the artifact is PostHog's full JSON (secrets removed).
    PostHog errors come back to the model as error messages, never as crashes.
    """

    action: Action = Field(exclude=True)
    client: PostHogClient = Field(exclude=True)
    bound_project: str | None = Field(default=None, exclude=True)
    strict: bool = Field(default=False, exclude=True)
    # The tools offered beside this one: a next step in the content names only these.
    offered: frozenset[str] | None = Field(default=None, exclude=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    handle_validation_error: bool | str | Callable[[Any], str] | None = format_validation_error

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def from_action(
        cls,
        action: Action,
        client: PostHogClient,
        bound_project: str | None,
        strict: bool = False,
        offered: frozenset[str] | None = None,
    ) -> PostHogTool:
        """Build the tool for ``action``.

        ``bound_project`` hides ``project_id`` from the model; ``strict`` gives the arguments the
        schema OpenAI's strict mode accepts (every optional field nullable, ``null`` meaning
        "not given"); ``offered`` names the tools its content may point to as a next step.
        """
        return cls(
            name=action.name,
            description=action.description,
            args_schema=args_schema(action, bound_project is not None, strict),
            action=action,
            client=client,
            bound_project=bound_project,
            strict=strict,
            offered=offered,
            metadata={
                "read_only": action.scope == "read",
                "destructive": action.scope == "destructive",
                "catalogue_action": f"POSTHOG_{action.catalogue}" if action.catalogue else None,
                "scope": action.scope,
            },
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the row's name, which the action table finds again when unpickled.

        A row's plan and renderer are closures and its args model may be made at run time.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in _FROM_THE_ROW}
        built = (self.action.name, self.client, self.bound_project, self.strict)
        return (_rebuild, (*built, state))

    @property
    def tool_call_schema(self) -> type[ArgsModel]:
        """What the model receives: the arguments model itself, whose JSON schema is compact.

        LangChain's default would copy the fields into a plain pydantic model to leave out
        injected arguments; these tools have none, and the copy would lose the schema shaping
        (and the validators, which human-in-the-loop review runs on an edited call).
        """
        schema = self.args_schema
        assert isinstance(schema, type) and issubclass(schema, ArgsModel)
        return schema

    # -- running the action -------------------------------------------------------------------

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[Any, Context]:
        project = kwargs.pop("project_id", None)
        return self.action.args.model_construct(**kwargs), self._context(project)

    def _context(self, project: str | None) -> Context:
        project = project or self.bound_project or "@current"
        return Context(project_id=str(project), app_url=self.client.app_url, offered=self.offered)

    # No run_manager parameter: the tool starts no child runs, and LangChain inspects this
    # signature on every call (see _resolve_annotations_once below).
    def _run(self, **kwargs: Any) -> tuple[str, Any]:
        return self._call(*self._prepare(kwargs))

    async def _arun(self, **kwargs: Any) -> tuple[str, Any]:
        return await self._acall(*self._prepare(kwargs))

    # Everything a call hands back (artifact, content, error message, log records) goes through
    # the call's Redactor: a plan may build its result from the arguments it sent, and PostHog
    # may repeat them, keys or credentials among them.
    def _call(self, args: Any, ctx: Context) -> tuple[str, Any]:
        redactor = Redactor(self.client.secrets)
        with redactor:
            try:
                data = self.client.run(redactor.watch(self.action.plan(args, ctx)))
            except PostHogError as error:
                raise self._error(redactor, error, args, ctx) from None
            return self._finish(redactor, data, args, ctx)

    async def _acall(self, args: Any, ctx: Context) -> tuple[str, Any]:
        redactor = Redactor(self.client.secrets)
        with redactor:
            try:
                data = await self.client.arun(redactor.watch(self.action.plan(args, ctx)))
            except PostHogError as error:
                raise self._error(redactor, error, args, ctx) from None
            return self._finish(redactor, data, args, ctx)

    def _error(
        self, redactor: Redactor, error: PostHogError, args: Any, ctx: Context
    ) -> ToolException:
        return ToolException(redactor.text(explain(error, self.action, args, ctx)))

    def _finish(self, redactor: Redactor, data: Any, args: Any, ctx: Context) -> tuple[str, Any]:
        data = redactor.data(data)
        return redactor.text(self._render(data, args, ctx)), data

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


# What from_action derives from the row: a pickled tool carries only the rest.
_FROM_THE_ROW = frozenset(
    {"name", "description", "args_schema", "action", "client", "bound_project", "strict"}
)


def _rebuild(
    name: str,
    client: PostHogClient,
    bound_project: str | None,
    strict: bool,
    state: dict[str, Any],
) -> PostHogTool:
    from langchain_posthog.actions import ACTIONS

    action = next(a for a in ACTIONS if a.name == name)
    tool = PostHogTool.from_action(action, client, bound_project, strict)
    return tool.model_copy(update=state)
