"""Dashboards: create one, and read one with its tiles."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._render import cut, named, quoted, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, create_row, get_row

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
        "tiles[].insight.last_modified_by.*",
    ),
)  # fmt: skip


class CreateDashboardArgs(ArgsModel):
    not_both = ("use_template", "use_dashboard", "give use_template or use_dashboard, not both")
    # `filters` is read-only on PostHog's Dashboard serializer, so it is not offered here.
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
            "create); leave filters out and set the date range and properties on the "
            "dashboard's page, or filter each insight's query",
        ),
    }


class GetDashboardArgs(ArgsModel):
    id: DashboardId


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
]
