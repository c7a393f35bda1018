"""One row of the action table: an action, its arguments model, and how its answer reads.

The rows live in the area modules beside this one; the tool that runs a row is
``langchain_posthog.tool.PostHogTool``. Nothing here depends on LangChain.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import create_model

from langchain_posthog.actions._args import ArgsModel, ProjectId
from langchain_posthog.actions._render import noted
from langchain_posthog.api.calls import Plan
from langchain_posthog.api.errors import PostHogAPIError

Scope = Literal["read", "write", "destructive"]

# Where PostHog keeps what it stored as it was captured, in any answer: event names, distinct
# ids, event and person properties (names and values), series labels and breakdown values, a
# recording's first URL. Anyone with the project's public key can send these. A row whose
# answers hold any of them declares them in ``user_text`` (tests/test_untrusted.py checks).
CAPTURED = (
    "**.event", "**.distinct_id", "**.distinct_ids[]", "**.properties.*", "**.label",
    "**.breakdown_value", "**.start_url",
)  # fmt: skip
# One step of a path: a key, a key whose list is walked (``[]`` once per level), ``*`` or ``**``.
_STEP = re.compile(r"(\*\*|\*|[^.\[\]*]+(\[\])*|(\[\])+)")


@dataclass(frozen=True)
class Context:
    """What a plan or a renderer knows beyond its arguments.

    The project, the UI origin, and the tools the caller can use (``None``: not known, any), so
    that a next step names only those.
    """

    project_id: str
    app_url: str
    offered: frozenset[str] | None = None

    def offers(self, tool: str) -> bool:
        """Whether a next step may name ``tool``: the model or script reading it can call it."""
        return self.offered is None or tool in self.offered

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
        explain: an action's own wording for some PostHog errors: its text, or the error
            reworded (``dataclasses.replace``) for the default wording, or ``None``.
        example: arguments for a call that the cassettes answer (standard tests, docs).
        user_text: where PostHog's answers to this row hold text that neither PostHog nor this
            toolkit wrote: what a product's visitors sent (see :data:`CAPTURED`) or a team
            typed (names, descriptions, questions). Paths into each JSON answer: ``.`` steps
            into an object, ``[]`` through a list's items, ``*`` covers every key of an object
            and its value, ``**`` any depth; a path to an object or a list covers all within.
            E.g. ``("name", "results[].distinct_ids[]", "properties.*")``. ``render`` shows
            these only through ``quoted()``, ``compact_json()`` or ``csv_text()``; a test plants
            injections there. ``None``: the answers hold none.

    Content that holds a quoted value gets :data:`~langchain_posthog.actions._render.DATA_NOTE`
    on its last line, added here to every row's ``render``.
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
    explain: Callable[[PostHogAPIError, Any, Context], str | PostHogAPIError | None] | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    user_text: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for path in self.user_text or ():
            if not all(_STEP.fullmatch(step) for step in path.split(".")):
                raise ValueError(f"{self.name}: {path!r} is not a user_text path")
        if not getattr(self.render, "notes_data", False):
            object.__setattr__(self, "render", _noting(self.render))


def _noting(render: Callable[[Any, Any, Context], str]) -> Callable[[Any, Any, Context], str]:
    """``render``, saying once under its text what quoted values are."""

    def render_noted(data: Any, args: Any, ctx: Context) -> str:
        return noted(render(data, args, ctx))

    render_noted.notes_data = True  # type: ignore[attr-defined]
    return render_noted


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
