"""The common shapes of a row, declared from the PostHog area it belongs to.

An :class:`Area` is one kind of PostHog object: where its collection is in the API, its name,
where one object opens in PostHog's UI, and what to tell a model that used an unknown id. A row
of a common shape (list, get by id, create, update) names its area, its arguments and how one
item reads; its request, API scope, link, not-found hint and paging note follow from the area.
Rows that really differ pass their own ``plan`` or ``render``, and still take the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._render import listing
from langchain_posthog.actions._row import Action, Context, Scope
from langchain_posthog.api.calls import Call, Plan, api_path

_PLACEHOLDER = re.compile(r"{(\w+)}")
# Who made or last changed an object: PostHog users, as they named themselves.
AUTHORS = ("created_by.*", "last_modified_by.*")

Render = Callable[[Any, Any, Context], str]


@dataclass(frozen=True)
class Area:
    """One kind of PostHog object, as its rows share it.

    Attributes:
        scope: the object in the personal-API-key scopes (``feature_flag`` for
            ``feature_flag:read`` and ``feature_flag:write``).
        path: the collection under the project (``feature_flags``), or under ``/api/`` when
            ``project_scoped`` is false (``users``).
        noun: one object, in the words a model reads (``flag``, ``survey``).
        plural: many, for the paging note of a list; ``noun`` + "s" when left out.
        ui: where one object opens in PostHog's UI, before its key (``feature_flags``).
        link_key: the field of PostHog's answer the UI opens an object by.
        id_field: the argument that names one object in a path.
        not_found: what to tell a model that used an id that does not exist.
        project_scoped: whether the collection belongs to a project.
        text: where one object holds text that people wrote (a row's ``user_text``, in one
            object): its rows declare these paths, in the object and in a list's ``results[]``.
    """

    scope: str
    path: str
    noun: str
    plural: str = ""
    ui: str | None = None
    link_key: str = "id"
    id_field: str = "id"
    not_found: str = ""
    project_scoped: bool = True
    text: tuple[str, ...] = ()

    @property
    def collection(self) -> str:
        """The collection's path template, ``/api/projects/{project_id}/feature_flags/``."""
        prefix = "/api/projects/{project_id}/" if self.project_scoped else "/api/"
        return f"{prefix}{self.path}/"

    @property
    def item(self) -> str:
        """One object's path template, ``/api/projects/{project_id}/feature_flags/{id}/``."""
        return f"{self.collection}{{{self.id_field}}}/"

    def at(self, ctx: Context, ident: object = None) -> str:
        """The collection's path in ``ctx``'s project, or the path of the object ``ident``."""
        values: dict[str, object] = {"project_id": ctx.project_id} if self.project_scoped else {}
        if ident is None:
            return api_path(self.collection, **values)
        return api_path(self.item, **values, **{self.id_field: ident})

    def api_scope(self, scope: Scope) -> str:
        """The key scope an action of ``scope`` needs here (writes and deletes need write)."""
        return f"{self.scope}:{'read' if scope == 'read' else 'write'}"

    def link(self, key: object, ctx: Context, answer: Any = None) -> str:
        """The line that opens the object ``key`` in PostHog's UI."""
        return f"Open: {ctx.ui(f'{self.ui}/{key}', answer)}"

    def user_text(self, *more: str) -> tuple[str, ...] | None:
        """The ``user_text`` of a row answered with this area's objects, one or a list of them.

        ``more``: paths of the row's own answers, such as a bulk action's summary.
        """
        paths = (*self.text, *AUTHORS) if self.text else ()
        found = (*paths, *(f"results[].{p}" for p in paths), *more)
        return tuple(dict.fromkeys(found)) or None

    def links(self, data: Any, ctx: Context) -> list[str]:
        """The line that opens the object PostHog answered with, if it says which one."""
        key = data.get(self.link_key) if isinstance(data, dict) else None
        return [] if self.ui is None or key in (None, "") else [self.link(key, ctx, data)]


def row(
    area: Area,
    name: str,
    description: str,
    args: type[ArgsModel],
    plan: Callable[[Any, Context], Plan[Any]],
    render: Render,
    *,
    scope: Scope = "read",
    **more: Any,
) -> Action:
    """A row of ``area`` with its own plan and render.

    Its API scope follows from the area, and so does its ``user_text`` unless it gives its own.
    """
    more.update(api_scope=area.api_scope(scope), project_scoped=area.project_scoped)
    more.setdefault("user_text", area.user_text())
    return Action(name, description, args, plan, render, scope, **more)


def list_row(
    area: Area,
    name: str,
    description: str,
    args: type[ArgsModel],
    line: Callable[[dict[str, Any]], str],
    *,
    empty: str = "",
    **more: Any,
) -> Action:
    """List ``area``'s objects, a page at a time: one ``line`` each, after the paging note.

    The arguments go to PostHog as the query string; ``empty`` is said of a list with nothing.
    """
    noun = area.plural or f"{area.noun}s"

    def render(data: Any, args: Any, ctx: Context) -> str:
        return listing(data, getattr(args, "offset", None), noun, line, empty)

    return row(area, name, description, args, http("GET", area.collection), render, **more)


def get_row(
    area: Area,
    name: str,
    description: str,
    args: type[ArgsModel],
    item: Render | None = None,
    *,
    head: str | None = None,
    **more: Any,
) -> Action:
    """Get one of ``area``'s objects by its id: ``head``, the ``item`` text, then its link."""
    if "render" not in more:
        more["render"] = describe(
            area, item, f"{area.noun.capitalize()} " if head is None else head
        )
    more.setdefault("not_found", area.not_found)
    return row(area, name, description, args, more.pop("plan", http("GET", area.item)), **more)


def create_row(
    area: Area,
    name: str,
    description: str,
    args: type[ArgsModel],
    item: Render | None = None,
    *,
    body: Callable[[Any], Any] | None = None,
    head: str | None = None,
    **more: Any,
) -> Action:
    """Create one of ``area``'s objects from ``body(args)`` (the arguments as given, by default).

    The model reads "Created <noun> ", the ``item`` text, and the new object's link.
    """
    if "render" not in more:
        more["render"] = describe(area, item, f"Created {area.noun} " if head is None else head)
    plan = more.pop("plan", http("POST", area.collection, body=body))
    return row(area, name, description, args, plan, scope="write", **more)


def update_row(area: Area, *parts: Any, **more: Any) -> Action:
    """Change one of ``area``'s objects (the rest as for :func:`row`); a 404 says how to find it."""
    more.setdefault("not_found", area.not_found)
    return row(area, *parts, scope="write", **more)


def describe(area: Area, item: Render | None, head: str) -> Render:
    """The render of one object: ``head``, the ``item`` text, and the line that opens it."""
    if item is None:
        raise TypeError("a row of a common shape needs item, or its own render")

    def render(data: Any, args: Any, ctx: Context) -> str:
        return "\n".join([head + item(data, args, ctx), *area.links(data, ctx)])

    return render


def http(
    method: str,
    template: str,
    *,
    body: Callable[[Any], Any] | None = None,
    params: Callable[[Any], dict[str, Any] | None] | None = None,
    idempotent: bool | None = None,
) -> Callable[[ArgsModel, Context], Plan[Any]]:
    """The plan of an action that is one request.

    Path placeholders are filled from the arguments (``project_id`` from the context); the
    remaining arguments become the query string of a GET or the JSON body of anything else,
    unless ``params`` or ``body`` build them.
    """
    names = _PLACEHOLDER.findall(template)

    def plan(args: ArgsModel, ctx: Context) -> Plan[Any]:
        values = {n: ctx.project_id if n == "project_id" else getattr(args, n) for n in names}
        rest = args.model_dump(exclude_none=True, exclude=set(names), by_alias=True, mode="json")
        is_get = method == "GET"
        query = params(args) if params else (rest if is_get else None)
        payload = None if is_get else (body(args) if body else rest)
        reply = yield Call(
            method, api_path(template, **values), params=query, json=payload, idempotent=idempotent
        )
        return reply.data

    return plan
