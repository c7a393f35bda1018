"""Dashboards: create one, read one with its tiles, and change one."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, text_max
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._filters import QueryProperty
from langchain_posthog.actions._nodes import DATE
from langchain_posthog.actions._render import compact_json, cut, named, quoted, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, create_row, get_row, update_row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogError

DashboardId = Annotated[int, Field(ge=1)]
TILE_TEXT = 80  # characters of a text tile: enough to tell what it says
DASHBOARDS = Area(
    "dashboard",
    "dashboards",
    "dashboard",
    ui="dashboard",
    not_found=(
        "Check the dashboard id: it is the number after /dashboard/ in the dashboard's URL, and "
        "the dashboard must be in this project."
    ),
    text=(
        "name", "description", "tags[]", "tiles[].text.body", "tiles[].insight.name",
        "tiles[].insight.derived_name", "tiles[].insight.description",
        "tiles[].insight.query.source.series", "tiles[].insight.query.source.query",
        "tiles[].insight.result", "tiles[].insight.created_by.*",
        "tiles[].insight.last_modified_by.*", "filters", "persisted_filters", "variables",
        "persisted_variables",
    ),
)  # fmt: skip


class CreateDashboardArgs(ArgsModel):
    not_both = ("use_template", "use_dashboard", "give use_template or use_dashboard, not both")
    # PostHog reads `filters` only when a dashboard is updated (its serializer's update()).
    name: str = Field(max_length=400)
    description: str | None = None
    tags: list[str] | None = None
    pinned: bool | None = None
    use_template: str | None = Field(None, description="Name of a dashboard template to copy.")
    use_dashboard: int | None = Field(None, ge=1, description="Id of a dashboard to duplicate.")
    restriction_level: Literal[21, 37] | None = Field(
        None, description="21: everyone in the project can edit; 37: only collaborators can."
    )
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "deleted": (False, "a dashboard cannot be created deleted; leave deleted out"),
        "filters": (
            {},
            "PostHog does not take filters when a dashboard is created (they are read-only on "
            "create); leave filters out, then set the date range and properties with "
            "posthog_update_dashboard",
        ),
    }


class GetDashboardArgs(ArgsModel):
    id: DashboardId


class DashboardFilters(ArgsModel):
    date_from: PostHogDate | None = Field(None, description=DATE)
    date_to: PostHogDate | None = Field(None, description="Same forms.")
    properties: list[QueryProperty] | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.date_from is None and self.date_to is None and self.properties is None:
            raise ValueError("filters need date_from, date_to or properties")
        check_order(self.date_from, self.date_to)
        return self

    def to_api(self) -> dict[str, Any]:
        """The keys of PostHog's dashboard filters that were given."""
        given = {"date_from": self.date_from, "date_to": self.date_to}
        out: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if self.properties is not None:
            out["properties"] = [p.to_api() for p in self.properties]
        return out


class UpdateDashboardArgs(ArgsModel):
    changes = "name, description, tags, pinned or filters"
    id: DashboardId
    name: Annotated[str, text_max(400)] | None = None
    description: str | None = None
    tags: list[str] | None = Field(None, description="Replaces the tags.")
    pinned: bool | None = None
    filters: DashboardFilters | None = Field(
        None, description="Keys left out stay; properties [] clears."
    )


def _dashboard_head(data: Any) -> str:
    head = named(data)
    if data.get("pinned"):
        head += ", pinned"
    if data.get("effective_restriction_level") == 37:
        head += ", only collaborators can edit"
    return head


def _render_created(data: Any, args: CreateDashboardArgs, ctx: Context) -> str:
    lines = ["Created dashboard " + _dashboard_head(data), *DASHBOARDS.links(data, ctx)]
    tiles = data.get("tiles") or []
    if tiles:
        lines.append(f"It has {len(tiles)} tile(s) from the template or the copied dashboard.")
    if data.get("id"):
        lines.append(
            f"To add insights, create them with dashboards [{data['id']}] (posthog_create_insight)."
        )
    return "\n".join(lines)


def _tile_line(tile: dict[str, Any]) -> str | None:
    insight = tile.get("insight")
    if isinstance(insight, dict):
        if insight.get("deleted"):
            return None
        name = insight.get("name") or insight.get("derived_name")
        query = _mapping(insight.get("query"))
        kind = _mapping(query.get("source")).get("kind") or query.get("kind")
        kind = term(kind) if kind else "legacy filters"
        detail = f"{kind}, insight {insight.get('id')}" if insight.get("id") else kind
        return f"- {quoted(name) if name else '(unnamed insight)'} ({detail})"
    body = _mapping(tile.get("text")).get("body")
    if body and str(body).strip():
        return "- text: " + quoted(str(body), limit=TILE_TEXT)
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dashboard_text(data: Any, args: GetDashboardArgs, ctx: Context) -> str:
    lines = [_dashboard_head(data)]
    if data.get("description"):
        lines.append("Description: " + quoted(data["description"]))
    tags = data.get("tags") or []
    if tags:
        lines.append("Tags: " + ", ".join(map(quoted, tags)))
    tiles = [t for t in data.get("tiles") or [] if isinstance(t, dict) and not t.get("deleted")]
    shown = [line for line in (_tile_line(t) for t in tiles) if line]
    if shown:
        lines.append(f"Tiles ({len(shown)}):")
        lines += cut(shown, hint="the full tiles are in the artifact")
    else:
        lines.append("No tiles yet.")
    return "\n".join(lines)


def _update_plan(args: UpdateDashboardArgs, ctx: Context) -> Plan[dict[str, Any]]:
    path = DASHBOARDS.at(ctx, args.id)
    body = args.model_dump(exclude_none=True, exclude={"id", "filters"})
    before = None
    if args.filters is not None:
        # PostHog replaces a dashboard's filters whole: keep the keys this change leaves out.
        current = (yield Call("GET", path)).data or {}
        before = _mapping(current.get("filters"))
        body["filters"] = {**before, **args.filters.to_api()}
        merged = body["filters"]
        try:  # one end given, the other kept: the range they make together must still hold
            check_order(merged.get("date_from"), merged.get("date_to"))
        except ValueError as error:
            raise PostHogError(
                f"The dashboard's filters would read {error}: give date_from and date_to "
                "together. Nothing was changed."
            ) from None
    reply = yield Call("PATCH", path, json=body)
    return {"dashboard": reply.data, "filters_before": before}


def _property_text(prop: dict[str, Any]) -> str:
    text = f"{quoted(prop.get('key') or '?')} {term(prop.get('operator') or 'exact')}"
    value = prop.get("value")
    if value is not None and value != prop.get("operator"):
        text += " " + (quoted(value) if isinstance(value, str) else compact_json(value))
    return text


def _filters_text(filters: dict[str, Any]) -> str:
    parts = []
    if filters.get("date_from"):
        parts.append(f"from {term(filters['date_from'])}")
    if filters.get("date_to"):
        parts.append(f"to {term(filters['date_to'])}")
    props = [p for p in filters.get("properties") or [] if isinstance(p, dict)]
    if props:
        parts.append("where " + " and ".join(_property_text(p) for p in props))
    return " ".join(parts) or "none"


def _render_updated(data: Any, args: UpdateDashboardArgs, ctx: Context) -> str:
    dashboard, before = _mapping(data.get("dashboard")), data.get("filters_before")
    unpinned = ", not pinned" if args.pinned is False and not dashboard.get("pinned") else ""
    lines = ["Updated dashboard " + _dashboard_head(dashboard) + unpinned]
    if args.description is not None and dashboard.get("description"):
        lines.append("Description: " + quoted(dashboard["description"]))
    if args.tags is not None:
        tags = [quoted(t) for t in dashboard.get("tags") or []]
        lines.append("Tags: " + (", ".join(tags) if tags else "none"))
    if before is not None:
        lines.append("Filters on every tile: " + _filters_text(_mapping(dashboard.get("filters"))))
        lines.append("They were: " + _filters_text(before))
    return "\n".join([*lines, *DASHBOARDS.links(dashboard, ctx)])


ACTIONS = [
    create_row(
        DASHBOARDS,
        "posthog_create_dashboard",
        "Create a dashboard, empty or from a template or a copy. Returns its id and link; add "
        "insights by creating them with that dashboard id.",
        CreateDashboardArgs,
        render=_render_created,
        catalogue="CREATE_PROJECT_DASHBOARD",
        example={"name": "Growth", "description": "Weekly growth numbers", "tags": ["growth"]},
    ),
    get_row(
        DASHBOARDS,
        "posthog_get_dashboard",
        "Get a dashboard by id: name, description, tags, and its tiles (insights by name and "
        "kind, text).",
        GetDashboardArgs,
        _dashboard_text,
        catalogue="RETRIEVE_SPECIFIC_PROJECT_DASHBOARD_DETAILS",
        example={"id": 12},
    ),
    update_row(
        DASHBOARDS,
        "posthog_update_dashboard",
        "Change a dashboard's name, description, tags, pinned, date range or property filters; "
        "only what is given changes.",
        UpdateDashboardArgs,
        _update_plan,
        _render_updated,
        example={"id": 12, "pinned": True, "filters": {"date_from": "-30d"}},
    ),
]
