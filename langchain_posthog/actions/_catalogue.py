"""The catalogue's forms of arguments that are not one area's: funnel steps, keys and hosts.

Calls written against the catalogue this toolkit replaces name things PostHog's way. These read
them as the toolkit's own before validation, so the schema a model reads does not grow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_posthog.actions._row import Action
from langchain_posthog.api.errors import PostHogConfigError
from langchain_posthog.api.hosts import resolve_hosts
from langchain_posthog.schema import from_json_text

# What a created insight answers to the catalogue's parameters PostHog cannot honour there.
SAVED_INSIGHT_UNHONOURED: Mapping[str, tuple[Any, str]] = {
    "format": (
        "json",
        "a created insight comes back as one record, not a table; leave format out, and for its "
        "results as CSV run the query with posthog_run_trends, posthog_run_funnel or "
        "posthog_run_hogql_query",
    ),
    "deleted": (False, "an insight cannot be created deleted; leave deleted out"),
    "timezone": (
        None,
        "an insight is computed in its project's timezone (read-only on the insight; set it in "
        "the project's settings); leave timezone out",
    ),
}


def funnel_steps(data: dict[str, Any]) -> dict[str, Any]:
    """Funnel steps given as objects, read as one list of steps in their ``order``.

    The catalogue's ``{"id", "type", "order"}`` and PostHog's ``EventsNode`` / ``ActionsNode``
    each name one step, events and actions mixed; a step keeps its own ``properties`` (and
    ``math``). Steps given as plain names or ids stay in ``events`` or ``actions``.
    """
    given = {field: _listed(data.get(field)) for field in ("events", "actions")}
    if not any(isinstance(v, dict) for value in given.values() for v in value or ()):
        return data
    # Once one step is an object, every step is read into one ordered list.
    steps: list[tuple[int, dict[str, Any]]] = []
    for field, value in given.items():
        if value is not None:  # anything else is left for validation to name
            steps += [_step(item, field, position) for position, item in enumerate(value)]
            del data[field]
    if steps:
        if len(steps) < 2:
            raise ValueError("a funnel needs at least 2 steps, events and actions together")
        steps.sort(key=lambda step: step[0])
        data["steps"] = [step for _, step in steps]
    return data


def _listed(value: Any) -> list[Any] | None:
    """A list of steps, given as one or as its JSON text; ``None`` for anything else."""
    value = from_json_text(value)
    return value if isinstance(value, list) else None


# Keys of a step object read as the step itself, its kind and its place.
_STEP_KEYS = frozenset({"id", "event", "name", "type", "kind", "order", "custom_name"})


def _step(item: Any, field: str, position: int) -> tuple[int, dict[str, Any]]:
    """One funnel step given as an object: (order, the step as a series)."""
    if not isinstance(item, dict):
        return position, {"id": item} if field == "actions" else {"event": item}
    kind = item.get("kind") or item.get("type") or field
    is_action = kind in ("actions", "ActionsNode")
    if kind not in ("events", "EventsNode") and not is_action:
        raise ValueError(
            f"{field}[{position}]: type must be 'events' or 'actions' (or kind EventsNode / "
            f"ActionsNode), not {kind!r}"
        )
    ident = item.get("id") if is_action else item.get("event", item.get("id"))
    if ident is None:
        what = "an action id" if is_action else "an event name"
        raise ValueError(
            f"{field}[{position}]: give {'id' if is_action else 'id or event'}, {what}"
        )
    order = item.get("order", position)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ValueError(
            f"{field}[{position}]: order must be a whole number (0 for the first step)"
        )
    # The rest (properties, math...) stays with the step: what the series does not take is
    # refused by name, never dropped.
    rest = {k: v for k, v in item.items() if k not in _STEP_KEYS}
    return order, {"id" if is_action else "event": ident, **rest}


def settings_in_call(
    args: dict[str, Any],
    action: Action,
    bound: str | None,
    project_key: str | None,
    ingest_url: str,
) -> None:
    """Take the catalogue's ``project_id``, ``api_key`` and ``ingest_host`` out of ``args``.

    The catalogue names the project on every call, and its capture takes the key and the host.
    Here they are settings: a value that matches the toolkit's changes nothing and is dropped;
    another would act somewhere the toolkit was not set up for, so it is refused (without
    repeating a key).
    """
    if bound is not None and "project_id" in args:
        value = args.pop("project_id")
        given = "" if value is None else str(value).strip()  # null: not given
        if given not in ("", bound, "@current") and action.project_scoped:
            # Repeated only when it is a project's id: anything else may be a key pasted there.
            shown = given if given.isascii() and given.isdigit() and len(given) <= 20 else None
            raise PostHogConfigError(
                f"This toolkit is bound to project {bound}, so "
                f"{f'project_id {shown}' if shown else 'another project_id'} cannot be used; "
                f"leave project_id out, or use a toolkit made with project_id={shown or '...'} "
                "(or none, to pass it on each call)."
            )
    if not (action.capture and action.catalogue):
        return  # only the catalogue's capture took a key and a host
    key = args.pop("api_key", None)
    if key is not None and key != project_key:
        raise PostHogConfigError(
            "api_key differs from this toolkit's project API key; keys are settings, not "
            "arguments: leave api_key out, or make a toolkit with project_api_key='phc_...' (or "
            "POSTHOG_PROJECT_API_KEY) for that project."
        )
    host = args.pop("ingest_host", None)
    if host is not None and _ingest_of(str(host)) != ingest_url:
        raise PostHogConfigError(
            f"ingest_host differs from this toolkit's ({ingest_url}); hosts are settings, not "
            "arguments: leave ingest_host out, or make a toolkit with ingest_host set to it."
        )


def _ingest_of(host: str) -> str | None:
    # Its own error would quote the value, which may be anything pasted there (a key too).
    try:
        return resolve_hosts(None, host)[1]
    except PostHogConfigError:
        return None
