"""Event capture through PostHog's public ingestion API, with the project API key.

The key and the host are never arguments: the client adds ``api_key`` to the body and sends to
the ingestion host it was configured with. Each event gets a uuid in the plan, once per tool
call, so a retried request carries the same uuid and PostHog keeps one event, not two.
"""

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._ingest import capture_call, explain_capture
from langchain_posthog.actions._render import quoted
from langchain_posthog.actions._row import Action, Context
from langchain_posthog.api.calls import Plan
from langchain_posthog.schema import JsonText

MAX_BATCH = 100
# PostHog answers 200 before ingesting, and still answers 200 when it drops events over quota.
ACCEPTED = (
    "PostHog accepted {what}; ingestion takes a few seconds, and acceptance does not guarantee "
    "ingestion (a project over its billing quota drops events)."
)
# Names under which PostHog's capture services look for the project key in an event's
# properties. The client sets the key; an argument must not be able to supply another.
_KEY_NAMES = frozenset({"api_key", "token", "project_api_key", "personal_api_key"})
# Properties PostHog reads to change the person, and the shape each must have.
_PERSON_OPS: dict[str, type] = {"$set": dict, "$set_once": dict, "$unset": list}


def _check_timestamp(value: str) -> str:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date-time such as 2026-01-31T10:15:00Z; relative "
            "dates like -7d are not accepted here"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat().replace("+00:00", "Z")


def _check_properties(value: dict[str, Any]) -> dict[str, Any]:
    for key, item in value.items():
        if key.lower().lstrip("$") in _KEY_NAMES:
            raise ValueError(
                f"property {key!r} is not allowed: the toolkit sets the project key itself"
            )
        shape = _PERSON_OPS.get(key)
        if shape is not None and not isinstance(item, shape):
            kind = "an object" if shape is dict else "a list of property names"
            raise ValueError(f"property {key!r} must be {kind}")
    return value


Timestamp = Annotated[
    str, AfterValidator(_check_timestamp), Field(description="ISO 8601; default: now.")
]
EventProperties = Annotated[
    dict[str, Any],
    JsonText(),
    AfterValidator(_check_properties),
    Field(description="JSON object; $set / $set_once objects update the person."),
]


# Args models have no docstrings on purpose: pydantic would send them to the model in the
# schema, paid in tokens on every call. Field descriptions say what is needed.
class CaptureEventArgs(ArgsModel):
    event: str = Field(min_length=1, description="E.g. signed_up, $pageview.")
    distinct_id: str = Field(min_length=1, description="The user's distinct id.")
    properties: EventProperties | None = None
    timestamp: Timestamp | None = None


class CaptureEventsArgs(ArgsModel):
    events: list[CaptureEventArgs] = Field(min_length=1, max_length=MAX_BATCH)


def event_body(args: CaptureEventArgs) -> dict[str, Any]:
    """One event as PostHog's capture API takes it, with a fresh uuid (the key is not in it)."""
    body: dict[str, Any] = args.model_dump(exclude_none=True, mode="json")
    body["uuid"] = str(uuid.uuid4())
    return body


def _capture_plan(args: CaptureEventArgs, ctx: Context) -> Plan[dict[str, Any]]:
    event = event_body(args)
    reply = yield capture_call("/i/v0/e/", event)
    return {"event": event, "response": reply.data}


def _capture_batch_plan(args: CaptureEventsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    batch = [event_body(e) for e in args.events]
    # Live events, not an import: historical_migration would bypass spike detection.
    body = {"historical_migration": False, "batch": batch}
    reply = yield capture_call("/batch/", body, gzip=True)
    return {"batch": batch, "response": reply.data}


def _render_event(data: Any, args: Any, ctx: Context) -> str:
    event = data["event"]
    when = f" at {event['timestamp']}" if event.get("timestamp") else ""
    return (
        f"Captured {quoted(event['event'])} for {quoted(event['distinct_id'])}{when} "
        f"(uuid {event['uuid']}). " + ACCEPTED.format(what="it")
    )


def _render_batch(data: Any, args: Any, ctx: Context) -> str:
    batch = data["batch"]
    names = Counter(e["event"] for e in batch)
    people = len({e["distinct_id"] for e in batch})
    counts = ", ".join(f"{quoted(name)} x{n}" for name, n in names.most_common())
    return (
        f"Captured {len(batch)} event(s) for {people} distinct id(s): {counts}. "
        + ACCEPTED.format(what="the batch")
        + " Event uuids are in the artifact."
    )


ACTIONS = [
    Action(
        name="posthog_capture_event",
        description=(
            "Send one event for a user (distinct_id) to PostHog. Events appear after a few seconds."
        ),
        args=CaptureEventArgs,
        plan=_capture_plan,
        render=_render_event,
        scope="write",
        catalogue="CAPTURE_EVENT",
        project_scoped=False,
        capture=True,
        explain=explain_capture,
        example={
            "event": "report_exported",
            "distinct_id": "user-42",
            "properties": {"format": "pdf"},
        },
    ),
    Action(
        name="posthog_capture_events",
        description=(
            f"Send up to {MAX_BATCH} events to PostHog in one request. Use it instead of "
            "repeating posthog_capture_event."
        ),
        args=CaptureEventsArgs,
        plan=_capture_batch_plan,
        render=_render_batch,
        scope="write",
        project_scoped=False,
        capture=True,
        explain=explain_capture,
        example={
            "events": [
                {"event": "signed_up", "distinct_id": "user-42"},
                {"event": "invited_teammate", "distinct_id": "user-42"},
            ]
        },
    ),
]
