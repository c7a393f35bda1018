"""The common shapes of a row: an action that is one request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._row import Context
from langchain_posthog.api.calls import Call, Plan, api_path

_PLACEHOLDER = re.compile(r"{(\w+)}")


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
