"""Session replay: list recordings, read one's metadata, and save playlists."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import quote
from uuid import UUID

from pydantic import Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, Limit, Offset, text_max
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._filters import RecordingProperty
from langchain_posthog.actions._render import duration, named, quoted, results, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, create_row, get_row, http, row
from langchain_posthog.schema import from_json_text

PLAYLISTS = Area(
    "session_recording_playlist",
    "session_recording_playlists",
    "recording playlist",
    ui="replay/playlists",
    link_key="short_id",
    text=("name", "derived_name", "description", "filters"),
)
RECORDINGS = Area(
    "session_recording",
    "session_recordings",
    "recording",
    id_field="session_id",
    not_found=(
        "The session id is unknown in this project, or its recording has expired: recordings "
        "are kept only for the project's retention period (30 days on PostHog's free plan). "
        "Session ids are the $session_id property of events."
    ),
    text=(
        "distinct_id",
        "start_url",
        "person.name",
        "person.distinct_ids[]",
        "person.properties.*",
    ),
)


class PlaylistFilters(ArgsModel):
    date_from: PostHogDate | None = Field(None, description="e.g. -7d")
    date_to: PostHogDate | None = Field(None, description="like date_from")
    min_duration_seconds: int | None = Field(None, ge=1)
    filter_test_accounts: bool | None = None
    properties: list[RecordingProperty] | None = None
    # How the playlist sorts its recordings: PostHog's, taken but not shown to a model.
    order: SkipJsonSchema[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")] | None] = None
    order_direction: SkipJsonSchema[Literal["ASC", "DESC"] | None] = None

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Read PostHog's own filters (RecordingUniversalFilters) as these.

        A ``duration`` of one "longer than" is ``min_duration_seconds``; a ``filter_group`` of
        AND groups gives its properties.
        """
        data = super().from_catalogue(data)
        longer = data.pop("duration", None)
        if longer:
            if data.get("min_duration_seconds") is not None:
                raise ValueError("give duration or min_duration_seconds, not both")
            data["min_duration_seconds"] = _longer_than(longer)
        group = from_json_text(data.pop("filter_group", None))
        if group:
            data["properties"] = [*(data.get("properties") or []), *_anded(group)]
        return data

    @model_validator(mode="after")
    def _checks(self) -> Self:
        check_order(self.date_from, self.date_to)
        given = (self.date_from, self.date_to, self.min_duration_seconds, self.properties)
        if not any(given) and self.filter_test_accounts is None:
            raise ValueError("filters need at least one condition")
        return self


class CreateRecordingPlaylistArgs(ArgsModel):
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "deleted": (False, "a playlist cannot be created deleted; leave deleted out"),
    }
    name: str = Field(max_length=400)
    type: Literal["filters", "collection"]
    filters: PlaylistFilters | None = None
    description: str | None = None
    pinned: bool | None = None

    @model_validator(mode="after")
    def _filters_match_type(self) -> Self:
        if self.type == "filters" and self.filters is None:
            raise ValueError("type filters needs filters; use type collection for hand-picked ones")
        if self.type == "collection" and self.filters is not None:
            raise ValueError("a collection takes no filters; use type filters for a saved search")
        return self


class GetSessionRecordingArgs(ArgsModel):
    # A UUID cannot change the URL path; `format: uuid` costs a model far fewer tokens than the
    # Uuid pattern.
    session_id: UUID
    renamed: ClassVar[Mapping[str, str]] = {"id": "session_id"}


class ListSessionRecordingsArgs(ArgsModel):
    not_both = ("distinct_id", "person_uuid", "give distinct_id or person_uuid, not both")
    distinct_id: Annotated[str, text_max(400)] | None = Field(None, description="One person's.")
    person_uuid: UUID | None = None
    date_from: PostHogDate | None = Field(None, description="e.g. -7d; PostHog's default -3d")
    date_to: PostHogDate | None = None
    limit: Limit = 20
    offset: Offset = 0

    @field_validator("person_uuid", mode="before")
    @classmethod
    def _a_person_uuid(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                UUID(value)
            except ValueError:  # the value is not repeated: it could be anything pasted
                raise ValueError(
                    "not a person's uuid (posthog_get_person gives it); for the id your product "
                    "sends, use distinct_id"
                ) from None
        return value

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        check_order(self.date_from, self.date_to)
        return self


def _list_params(args: ListSessionRecordingsArgs) -> dict[str, Any]:
    # PostHog reads each parameter as JSON where it parses (query_as_params_to_dict) into a
    # RecordingsQuery: distinct_ids is a list. A uuid or a date never parses as JSON, so it
    # stays text.
    distinct_ids = None if args.distinct_id is None else json.dumps([args.distinct_id])
    return {
        "distinct_ids": distinct_ids,
        "person_uuid": None if args.person_uuid is None else str(args.person_uuid),
        "date_from": args.date_from,
        "date_to": args.date_to,
        "limit": args.limit,
        "offset": args.offset,
    }


def _recording_line(recording: dict[str, Any], ctx: Context) -> str:
    start = recording.get("start_time")
    parts = [term(start) if start else "start unknown"]
    length = duration(recording.get("recording_duration"))
    if length:
        active = duration(recording.get("active_seconds"))
        parts.append(length + (f" ({active} active)" if active else ""))
    parts += [
        _count(n, label)
        for n, label in (
            (recording.get("click_count"), "clicks"),
            (recording.get("keypress_count"), "keypresses"),
            (recording.get("console_error_count"), "console errors"),
        )
        if n is not None
    ]
    if recording.get("ongoing"):
        parts.append("ongoing")
    if recording.get("start_url"):
        parts.append("from " + quoted(recording["start_url"]))
    if recording.get("distinct_id"):
        parts.append("person " + quoted(recording["distinct_id"]))
    line = "- " + ", ".join(parts)
    if recording.get("id"):
        # The session id is the one a visitor's browser sent: encoded, it stays in the link.
        line += ": " + ctx.ui(f"replay/{quote(str(recording['id']), safe='')}")
    return line


def _render_recordings(data: Any, args: ListSessionRecordingsArgs, ctx: Context) -> str:
    items = results(data)
    more = isinstance(data, dict) and data.get("has_next") is True
    whose = ""
    if args.distinct_id is not None:
        whose = f" of {quoted(args.distinct_id)}"
    elif args.person_uuid is not None:
        whose = f" of person {args.person_uuid}"
    span = f"from {args.date_from or '-3d'}" + said(" to {}", args.date_to)
    if not items:
        if args.offset:
            return f"No recordings at offset {args.offset}: the list ends before it."
        check = {
            "distinct_id": " A distinct id must match exactly: check it with posthog_get_person.",
            "person_uuid": " Check the person's uuid with posthog_get_person.",
        }
        given = "distinct_id" if args.distinct_id else "person_uuid" if args.person_uuid else ""
        return (
            f"No recordings{whose} {span}. Try an earlier date_from (e.g. -30d); recordings are "
            "kept only for the project's retention period." + check.get(given, "")
        )
    end = args.offset + len(items)
    head = f"Recordings {args.offset + 1}-{end}{whose} {span}, newest first."
    if more:
        head += f" More exist: call again with offset={end}."
    return "\n".join([head, *(_recording_line(r, ctx) for r in items)])


def _longer_than(conditions: Any) -> Any:
    """The seconds of a ``duration`` list that says only "the recording is longer than"."""
    item = conditions[0] if isinstance(conditions, list) and len(conditions) == 1 else None
    if not isinstance(item, dict) or (item.get("key"), item.get("operator")) != ("duration", "gt"):
        raise ValueError(
            "duration: only one condition, {key: duration, operator: gt, value: seconds}, can be "
            "given here (as min_duration_seconds); set others in PostHog"
        )
    return item.get("value")


def _anded(group: Any) -> list[Any]:
    """The properties of a ``filter_group`` whose groups are all AND."""
    if not isinstance(group, dict) or group.get("type", "AND") != "AND":
        raise ValueError("filter_group: only AND groups can be given here; set OR ones in PostHog")
    found = []
    for value in group.get("values") or []:
        nested = isinstance(value, dict) and "values" in value
        found += _anded(value) if nested else [value]
    return found


def _universal_filters(filters: PlaylistFilters) -> dict[str, Any]:
    """Translate the filters into the replay UI's shape (RecordingUniversalFilters)."""
    out: dict[str, Any] = filters.model_dump(
        exclude_none=True,
        include={"date_from", "date_to", "filter_test_accounts", "order", "order_direction"},
    )
    if filters.min_duration_seconds is not None:
        seconds = filters.min_duration_seconds
        out["duration"] = [
            {"key": "duration", "type": "recording", "operator": "gt", "value": seconds}
        ]
    if filters.properties:
        values = [prop.to_api() for prop in filters.properties]
        out["filter_group"] = {"type": "AND", "values": [{"type": "AND", "values": values}]}
    return out


def _playlist_body(args: CreateRecordingPlaylistArgs) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"filters"}, mode="json")
    if args.filters is not None:
        body["filters"] = _universal_filters(args.filters)
    return body


def _playlist_text(data: Any, args: CreateRecordingPlaylistArgs, ctx: Context) -> str:
    short_id = data.get("short_id")
    kind = data.get("type") or args.type
    facts = [said("short_id {}", short_id and term(short_id)), said("type {}", kind and term(kind))]
    lines = [named(data, ident=False) + said(" ({})", ", ".join(filter(None, facts)))]
    counts = data.get("recordings_counts") or {}
    bucket = counts.get("saved_filters" if kind == "filters" else "collection") or {}
    if isinstance(bucket, dict) and bucket.get("count") is not None:
        more = "+" if bucket.get("has_more") else ""
        lines.append(f"Recordings: {bucket['count']}{more}")
    if kind == "collection":
        lines.append("Add recordings to it from a recording's page in the replay UI.")
    return "\n".join(lines)


def _count(n: Any, label: str) -> str:
    return f"{term(n)} {label.removesuffix('s') if n == 1 else label}"


def _render_recording(data: Any, args: GetSessionRecordingArgs, ctx: Context) -> str:
    head = f"Recording {args.session_id}: {duration(data.get('recording_duration')) or 'unknown'}"
    if active := duration(data.get("active_seconds")):
        head += f" ({active} active)"
    if data.get("ongoing"):
        head += ", still ongoing"
    lines = [head]
    counts = [
        (data.get("click_count"), "clicks"),
        (data.get("keypress_count"), "keypresses"),
        (data.get("console_error_count"), "console errors"),
        (data.get("console_warn_count"), "console warnings"),
    ]
    activity = ", ".join(_count(n, label) for n, label in counts if n is not None)
    if activity:
        lines.append("Activity: " + activity)
    if data.get("start_time"):
        end = data.get("end_time")
        lines.append(f"From {term(data['start_time'])} to {term(end) if end else '?'}")
    if data.get("start_url"):
        lines.append(f"Start URL: {quoted(data['start_url'])}")
    person = data.get("person") if isinstance(data.get("person"), dict) else {}
    who, distinct_id = person.get("name"), data.get("distinct_id")
    if who and distinct_id and who != distinct_id:
        lines.append(f"Person: {quoted(who)} (distinct id {quoted(distinct_id)})")
    elif who or distinct_id:
        lines.append(f"Person: {quoted(who or distinct_id)}")
    if data.get("expiry_time"):
        lines.append(f"Kept until {term(str(data['expiry_time'])[:10])}")
    lines.append("Watch: " + ctx.ui(f"replay/{args.session_id}", data))
    return "\n".join(lines)


ACTIONS = [
    row(
        RECORDINGS,
        "posthog_list_session_recordings",
        "List session recordings, newest first, of everyone or one person, in a date range. "
        "Each: start, length, activity, console errors, start URL, person, link to watch.",
        ListSessionRecordingsArgs,
        http("GET", RECORDINGS.collection, params=_list_params),
        _render_recordings,
        example={"distinct_id": "user-42", "date_from": "-7d"},
    ),
    create_row(
        PLAYLISTS,
        "posthog_create_recording_playlist",
        "Create a session replay playlist: a saved search (type filters) or a hand-picked "
        "collection. Returns its link.",
        CreateRecordingPlaylistArgs,
        _playlist_text,
        body=_playlist_body,
        catalogue="CREATE_SESSION_RECORDING_PLAYLIST",
        example={
            "name": "Long checkout sessions",
            "type": "filters",
            "filters": {
                "date_from": "-7d",
                "min_duration_seconds": 30,
                "filter_test_accounts": True,
                "properties": [
                    {"key": "$current_url", "operator": "icontains", "value": ["checkout"]}
                ],
            },
        },
    ),
    get_row(
        RECORDINGS,
        "posthog_get_session_recording",
        "Get a session recording's metadata: duration, activity, console errors, start URL, "
        "person, and a link to watch it.",
        GetSessionRecordingArgs,
        render=_render_recording,
        catalogue="RETRIEVE_SESSION_RECORDING_DETAILS",
        example={"session_id": "0193a9f0-1b2c-7d3e-8f40-123456789abc"},
    ),
]
