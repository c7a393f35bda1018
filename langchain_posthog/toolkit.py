"""PostHogToolkit: settings, tool selection, and direct execution of actions."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from langchain_core.tools.base import BaseTool, BaseToolkit, ToolException
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, ValidationError

from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._catalogue import settings_in_call
from langchain_posthog.actions._row import Action, args_schema
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.errors import PostHogConfigError, PostHogError
from langchain_posthog.api.hosts import resolve_hosts
from langchain_posthog.api.ratelimit import DEFAULT_MAX_WAIT, RateLimiter
from langchain_posthog.api.retry import RetryPolicy
from langchain_posthog.messages import format_validation_error
from langchain_posthog.settings import (
    PROJECT_ID_WANTED,
    check_keys,
    check_names,
    did_you_mean,
    invalid_settings,
    secret,
    setting,
)
from langchain_posthog.tool import PostHogTool
from langchain_posthog.toolsets import check_toolset_names, toolset_of

_PROJECT_ID = re.compile(r"^(\d+|@current)$")


@dataclass(frozen=True)
class ActionResult:
    """What :meth:`PostHogToolkit.execute` returns: never an exception for PostHog or input errors.

    Attributes:
        successful: whether the action ran and PostHog accepted it.
        data: PostHog's full JSON (secrets removed) when successful, else ``None``.
        error: a message saying what went wrong and what to do, when not successful.
        content: the compact text a model would have read.
    """

    successful: bool
    data: Any = None
    error: str | None = None
    content: str | None = None


class PostHogToolkit(BaseToolkit):
    """LangChain tools for PostHog: flags, insights, queries, experiments, surveys and more.

    Setup:
        ``pip install langchain-posthog`` and set ``POSTHOG_PERSONAL_API_KEY`` (a ``phx_`` key
        from Settings -> Personal API keys), ``POSTHOG_HOST`` (``us``, ``eu`` or your URL) and,
        to capture events, ``POSTHOG_PROJECT_API_KEY`` (``phc_``).

    Key init args:
        personal_api_key: ``phx_`` key for the private API.
        project_api_key: ``phc_`` key for event capture.
        host: ``"us"`` (default), ``"eu"`` or a self-hosted URL.
        ingest_host: capture origin, when not derived from ``host``.
        project_id: bind every tool to this project; the model then never chooses one.
        read_only: only read tools, and the client refuses any write.
        include_destructive: add destructive tools (bulk delete).
        include / exclude: tool names or catalogue action names to keep or drop.
        toolsets: offer only the tools of these groups (``["flags", "experiments"]``; see
            :mod:`langchain_posthog.toolsets`), after the rules above and with ``include`` and
            ``exclude``. ``None`` (default) offers every group. Toolsets choose what the model
            is offered, not what the client may do: :meth:`execute` still runs any permitted
            action, and only ``read_only`` makes the client refuse writes.
        timeout, max_retries: seconds for each attempt, from sending a request to the last byte
            of its answer; and retries of safe requests.
        transport: ``"httpx"`` (default) or ``"aiohttp"`` for async calls (the ``aiohttp`` extra:
            less CPU per call when many run at once).
        strict: give every tool the schema OpenAI's strict mode accepts (``bind_tools(tools,
            strict=True)``): optional fields nullable, a ``null`` meaning "not given".
        rate_limits: PostHog's budgets per bucket (``crud``, ``analytics``, ``query``, ``ai``),
            kept before each call is sent; e.g. ``{"query": "120/minute; 1200/hour"}`` to leave
            room for other clients of the key, ``{"crud": None}`` for no limit. Unnamed buckets
            keep PostHog's documented numbers.
        rate_limit_storage: a Redis URL (``redis://...``; the ``redis`` extra) or a
            ``redis.Redis`` client, to share the budgets with every process using the key.
            ``None`` (default) keeps them in this process.
        rate_limit_max_wait: seconds a call may wait for its budget; past it the call fails
            unsent, saying which limit and for how long.

    Instantiate:
        .. code-block:: python

            from langchain_posthog import PostHogToolkit

            toolkit = PostHogToolkit(project_id=2)
            tools = toolkit.get_tools()

    Use within an agent:
        .. code-block:: python

            from langchain.agents import create_agent

            agent = create_agent("openai:gpt-4.1", tools=toolkit.get_tools())

    Every setting left as ``None`` falls back to its ``POSTHOG_*`` environment variable.
    Neither construction nor :meth:`get_tools` touches the network.
    """

    personal_api_key: SecretStr | None = None
    project_api_key: SecretStr | None = None
    host: str | None = None
    ingest_host: str | None = None
    project_id: str | int | None = None
    read_only: bool = False
    include_destructive: bool = False
    include: list[str] | None = None
    exclude: list[str] | None = None
    toolsets: list[str] | None = None
    timeout: float = Field(30.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    transport: Literal["httpx", "aiohttp"] = "httpx"
    strict: bool = False
    rate_limits: dict[str, str | None] | None = None
    # A URL may hold Redis's password: never in a repr.
    rate_limit_storage: Any = Field(None, repr=False)
    rate_limit_max_wait: float = Field(DEFAULT_MAX_WAIT, ge=0)
    http_client: httpx.Client | None = Field(None, exclude=True, repr=False)
    async_http_client: httpx.AsyncClient | None = Field(None, exclude=True, repr=False)

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _client: PostHogClient = PrivateAttr()
    _bound: str | None = PrivateAttr(default=None)

    def __init__(self, **settings: Any) -> None:
        """Fill settings from the environment, check them offline, and make the client.

        The checks run after pydantic's validation on purpose: an error raised inside it would
        quote the input, keys included.
        """
        check_names(settings, list(PostHogToolkit.model_fields))
        for option in ("include", "exclude", "toolsets"):
            if isinstance(settings.get(option), str):  # a name, where a list of them belongs
                raise PostHogConfigError(
                    f"{option} takes a list of names: {option}=[{settings[option]!r}]."
                )
        if isinstance(settings.get("project_id"), bool):  # an int to pydantic, not an id
            raise PostHogConfigError(f"{PROJECT_ID_WANTED}, not {settings['project_id']}.")
        try:
            super().__init__(**settings)
        except ValidationError as error:
            raise PostHogConfigError(invalid_settings(error)) from None
        self.personal_api_key = setting(self.personal_api_key, "personal_api_key")
        self.project_api_key = setting(self.project_api_key, "project_api_key")
        self.host = setting(self.host, "host") or "us"
        self.ingest_host = setting(self.ingest_host, "ingest_host")
        if self.project_id is None:
            self.project_id = setting(None, "project_id")
        personal = secret(self.personal_api_key)
        project = secret(self.project_api_key)
        check_keys(personal, project)
        if self.project_id is not None:
            bound = str(self.project_id).strip()
            if not _PROJECT_ID.match(bound):
                raise PostHogConfigError(f"{PROJECT_ID_WANTED}, not {bound!r}.")
            self._bound = bound
        for option in ("include", "exclude"):
            unknown = [n for n in getattr(self, option) or [] if _find(n) is None]
            if unknown:
                raise PostHogConfigError(
                    f"{option} names unknown tools {unknown}.{_closest(unknown[0])} Valid names "
                    f"are {[a.name for a in ACTIONS]} or their POSTHOG_... catalogue names."
                )
        if self.toolsets is not None:
            check_toolset_names(self.toolsets)
        self._client = PostHogClient(
            personal_api_key=personal,
            project_api_key=project,
            host=self.host,
            ingest_host=self.ingest_host,
            timeout=self.timeout,
            retry=RetryPolicy(max_retries=self.max_retries),
            read_only=self.read_only,
            http_client=self.http_client,
            async_http_client=self.async_http_client,
            async_backend=self.transport,
            rate_limiter=RateLimiter(
                self.rate_limits,
                self.rate_limit_storage,
                max_wait=self.rate_limit_max_wait,
                namespace=RateLimiter.namespace_for(resolve_hosts(self.host)[0], personal),
            ),
        )

    @property
    def client(self) -> PostHogClient:
        """The one client every tool of this toolkit shares."""
        return self._client

    @property
    def bound_project(self) -> str | None:
        """The project every tool uses, or ``None`` when the model may choose."""
        return self._bound

    def actions(self) -> list[Action]:
        """The actions this toolkit offers, after ``read_only``, destructive and key rules."""
        return [a for a in ACTIONS if self._permitted(a) is None]

    def get_tools(self) -> list[BaseTool]:
        """One tool per selected action, all sharing this toolkit's client."""
        chosen = [a for a in self.actions() if self._selected(a)]
        if not chosen:
            raise PostHogConfigError(self._why_none())
        offered = frozenset(a.name for a in chosen)
        return [
            PostHogTool.from_action(a, self._client, self._bound, self.strict, offered)
            for a in chosen
        ]

    def execute(self, name: str, args: Mapping[str, Any] | str | None = None) -> ActionResult:
        """Run one action by tool or catalogue name, for graph nodes and scripts.

        ``args`` is a mapping of the action's arguments, or the same as a JSON object's text.
        Any action permitted by ``read_only`` and ``include_destructive`` can run, whether or not
        ``include``, ``exclude`` or ``toolsets`` offer it to the model. Never raises for a PostHog
        or input error.
        """
        try:
            tool, kwargs = self._prepare(name, args)
            content, data = tool._run(**kwargs)
        except (ToolException, PostHogError, ValidationError) as error:
            return _failure(error)
        return ActionResult(successful=True, data=data, content=content)

    async def aexecute(
        self, name: str, args: Mapping[str, Any] | str | None = None
    ) -> ActionResult:
        """Async :meth:`execute`."""
        try:
            tool, kwargs = self._prepare(name, args)
            content, data = await tool._arun(**kwargs)
        except (ToolException, PostHogError, ValidationError) as error:
            return _failure(error)
        return ActionResult(successful=True, data=data, content=content)

    def close(self) -> None:
        """Close the HTTP clients this toolkit made."""
        self._client.close()

    async def aclose(self) -> None:
        """Close the HTTP clients this toolkit made, from async code."""
        await self._client.aclose()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A copy with its own settings that shares this toolkit's client and its connections."""
        copied = self.model_copy()
        copied.include = None if self.include is None else list(self.include)
        copied.exclude = None if self.exclude is None else list(self.exclude)
        copied.toolsets = None if self.toolsets is None else list(self.toolsets)
        return copied

    def __getstate__(self) -> dict[Any, Any]:
        """What pickle keeps: settings and keys, but no httpx client (it opens its own)."""
        state = super().__getstate__()
        state["__dict__"] = {**state["__dict__"], "http_client": None, "async_http_client": None}
        if not isinstance(self.rate_limit_storage, str | None):
            # A Redis client object stays in its process; a URL goes along.
            state["__dict__"]["rate_limit_storage"] = None
        return state

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- selection -------------------------------------------------------------------------

    def _permitted(self, action: Action) -> str | None:
        """Why ``action`` is not available here, or ``None`` when it is."""
        if self.read_only and action.scope != "read":
            return f"{action.name} changes data and this toolkit is read_only."
        if action.scope == "destructive" and not self.include_destructive:
            return f"{action.name} is destructive: build the toolkit with include_destructive=True."
        if action.capture and not self._client.has_project_key:
            return (
                f"{action.name} needs the project API key: set POSTHOG_PROJECT_API_KEY or pass "
                "project_api_key='phc_...'."
            )
        return None

    def _why_none(self) -> str:
        """Why no tool is left to offer: an agent given none would have nothing to call."""
        wanted = [a for a in ACTIONS if self._selected(a)]
        if not wanted:
            return "No tool is left to offer: toolsets, include and exclude together select none."
        reasons = list(dict.fromkeys(filter(None, map(self._permitted, wanted))))
        more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
        return "No tool is left to offer: " + " ".join(reasons[:3]) + more

    def _selected(self, action: Action) -> bool:
        if self.toolsets is not None and toolset_of(action.name) not in self.toolsets:
            return False
        if self.include is not None and action.name not in {_canonical(n) for n in self.include}:
            return False
        return not (self.exclude and action.name in {_canonical(n) for n in self.exclude})

    def _prepare(
        self, name: str, args: Mapping[str, Any] | str | None
    ) -> tuple[PostHogTool, dict[str, Any]]:
        if not isinstance(name, str):
            raise PostHogConfigError(
                f"The action's name is text, such as 'posthog_get_feature_flag', not "
                f"{type(name).__name__}. Nothing was sent to PostHog."
            )
        action = _find(name)
        if action is None:
            raise PostHogConfigError(
                f"Unknown action {name!r}.{_closest(name)} Valid names: "
                f"{', '.join(a.name for a in ACTIONS)}."
            )
        reason = self._permitted(action)
        if reason:
            raise PostHogConfigError(reason)
        # execute() runs any permitted action: a next step may name any of them.
        permitted = frozenset(a.name for a in self.actions())
        tool = PostHogTool.from_action(action, self._client, self._bound, offered=permitted)
        args = _arguments(action, args)
        if self._bound is not None or action.capture:
            key = self.project_api_key.get_secret_value() if self.project_api_key else None
            settings_in_call(args, action, self._bound, key, self._client.ingest_url)
        model = args_schema(action, self._bound is not None).model_validate(args)
        return tool, {k: getattr(model, k) for k in type(model).model_fields}


def _arguments(action: Action, args: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """``args`` as a fresh dict: a mapping, or a JSON object's text; anything else refused."""
    if isinstance(args, str):
        with contextlib.suppress(ValueError):
            args = json.loads(args) if args.strip() else None
    if args is None:  # None, "" or the text "null": no arguments
        return {}
    if isinstance(args, Mapping):
        return dict(args)
    # The value itself is never repeated: it may hold a key.
    raise PostHogConfigError(
        f"{action.name} takes its arguments as a dict (or a JSON object's text), not "
        f"{'text that is not a JSON object' if isinstance(args, str) else type(args).__name__}: "
        f"for example execute({action.name!r}, {{...}}). Nothing was sent to PostHog."
    )


def _closest(name: str) -> str:
    names = [a.name for a in ACTIONS]
    names += [f"POSTHOG_{a.catalogue}" for a in ACTIONS if a.catalogue]
    return did_you_mean(name.strip(), names)


def _canonical(name: str) -> str:
    action = _find(name)
    return action.name if action else name


def _find(name: str) -> Action | None:
    wanted = name.strip()
    for action in ACTIONS:
        if wanted.lower() == action.name or (
            action.catalogue and wanted.upper() in {action.catalogue, f"POSTHOG_{action.catalogue}"}
        ):
            return action
    return None


def _failure(error: Exception) -> ActionResult:
    if isinstance(error, ValidationError):
        return ActionResult(successful=False, error=format_validation_error(error))
    return ActionResult(successful=False, error=str(error))
