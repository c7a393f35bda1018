"""Saved insights of any kind: find them by name or short_id, and change one."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, Limit, Offset, text_max
from langchain_posthog.actions._insight_forms import (
    INSIGHTS,
    ShortId,
    ids,
    kind_of,
    listed,
    query_of,
    summary,
    viz_node,
)
from langchain_posthog.actions._nodes import KINDS, InsightQuery
from langchain_posthog.actions._render import (
    MAX_ITEMS,
    cut,
    page_note,
    quoted,
    results,
    said,
    term,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import row, update_row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.schema import strict_schema_wanted

DashboardIds = list[Annotated[int, Field(ge=1)]]
FIND_ID = (
    "Find the insight's id with posthog_list_insights (search by name): a number, not the short_id."
)


class ListInsightsArgs(ArgsModel):
    search: str | None = Field(None, description="Part of a name, description or tag.")
    short_id: ShortId | None = Field(None, description="From the insight's URL.")
    limit: Limit = 25
    offset: Offset = 0


def _list_plan(args: ListInsightsArgs, ctx: Context) -> Plan[Any]:
    path = INSIGHTS.at(ctx)
    params: dict[str, Any] = {
        "search": args.search,
        "short_id": args.short_id,
        # Unsaved insights are a user's explorations; a short_id names one whatever it is.
        "saved": None if args.short_id else True,
        # The id and short_id lines without each insight's cached results.
        "basic": True,
        # A stable order, so that the next page follows on; the recent ones first.
        "order": "-last_modified_at",
        "limit": args.limit,
        "offset": args.offset,
    }
    return (yield from listed(path, params, args.short_id))


def _name(insight: dict[str, Any]) -> str:
    name = insight.get("name") or insight.get("derived_name")
    return quoted(name) if name else "(unnamed)"


def _line(insight: dict[str, Any]) -> str:
    parts = [kind_of(insight)]
    dashboards = [str(d) for d in insight.get("dashboards") or []]
    if dashboards:
        parts.append("on dashboards " + ", ".join(dashboards))
    modified = str(insight.get("last_modified_at") or "")[:10]
    if modified:
        parts.append(f"modified {term(modified)}")
    return f"- {_name(insight)}{ids(insight)}: " + ", ".join(parts)


def _one(insight: dict[str, Any], ctx: Context) -> str:
    lines = [_line(insight)[2:]]
    if query_of(insight).get("kind"):
        lines.append("Query: " + summary(query_of(insight)))
    if insight.get("description"):
        lines.append("Description: " + quoted(insight["description"]))
    tags = [quoted(t) for t in insight.get("tags") or []]
    if tags:
        lines.append("Tags: " + ", ".join(tags))
    return "\n".join([*lines, *INSIGHTS.links(insight, ctx)])


def _render_list(data: Any, args: ListInsightsArgs, ctx: Context) -> str:
    items = results(data)
    if args.short_id and len(items) == 1:
        return _one(items[0], ctx)
    if not items and not args.offset:
        if args.search:
            return (
                f"No saved insight matches {quoted(args.search)} in its name, description or "
                "tags: try one word of it, or list without search."
            )
        return "No saved insights yet; save one with posthog_create_insight."
    note = page_note(data, shown=len(items), offset=args.offset, noun="saved insights")
    rest = f"call again with offset={args.offset + MAX_ITEMS}"
    lines = [note, *cut([_line(i) for i in items], hint=rest)]
    if items:
        lines.append("Open one: " + ctx.ui("insights/<short_id>"))
    return "\n".join(lines)


# -- changing one -----------------------------------------------------------------------------


def _like_create_query(schema: dict[str, Any]) -> None:
    # The query model is posthog_create_insight's, ~900 tokens a model already reads there; here
    # a pointer to it. Strict mode, where a model may send only what is declared, gets it whole.
    if strict_schema_wanted():
        return
    schema.clear()
    schema.update(
        type="object",
        properties={"kind": {"enum": list(KINDS), "type": "string"}},
        description="Replaces the query: same form as posthog_create_insight's query.",
    )


class UpdateInsightArgs(ArgsModel):
    changes = "name, description, query, tags, add_to_dashboards or remove_from_dashboards"
    id: int = Field(ge=1, description="Insight id (a number, not the short_id).")
    name: Annotated[str, text_max(400)] | None = None
    description: str | None = Field(None, max_length=400)
    query: InsightQuery | None = Field(None, json_schema_extra=_like_create_query)
    tags: list[str] | None = Field(None, description="Replaces the tags.")
    add_to_dashboards: DashboardIds | None = Field(None, min_length=1)
    remove_from_dashboards: DashboardIds | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _dashboards_once(self) -> Self:
        both = sorted(set(self.add_to_dashboards or ()) & set(self.remove_from_dashboards or ()))
        if both:
            raise ValueError(f"dashboards {both} are both added and removed; give each once")
        return self


def _update_plan(args: UpdateInsightArgs, ctx: Context) -> Plan[dict[str, Any]]:
    path = INSIGHTS.at(ctx, args.id)
    body = args.model_dump(exclude_none=True, include={"name", "description", "tags"})
    if args.query is not None:
        body["query"] = viz_node(args.query)
    before = None
    if args.add_to_dashboards or args.remove_from_dashboards:
        # PATCH takes the whole list and drops the insight from any dashboard left out of it.
        current = (yield Call("GET", path)).data or {}
        before = [d for d in current.get("dashboards") or [] if isinstance(d, int)]
        removed = set(args.remove_from_dashboards or ())
        added = [d for d in dict.fromkeys(args.add_to_dashboards or ()) if d not in before]
        body["dashboards"] = [d for d in before if d not in removed] + added
    reply = yield Call("PATCH", path, json=body)
    return {"insight": reply.data, "dashboards_before": before}


def _ids_text(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


def _dashboards_text(now: list[int], before: list[int], args: UpdateInsightArgs) -> str:
    added = [d for d in now if d not in before]
    removed = [d for d in before if d not in now]
    changes = [said("added {}", _ids_text(added)), said("removed {}", _ids_text(removed))]
    text = f"Now on dashboards {_ids_text(now)}" if now else "Now on no dashboard"
    text += said(" ({})", "; ".join(filter(None, changes))) + "."
    already = [d for d in args.add_to_dashboards or () if d in before]
    absent = [d for d in args.remove_from_dashboards or () if d not in before]
    # PostHog skips a deleted dashboard without an error: say what did not happen.
    missing = [d for d in args.add_to_dashboards or () if d not in now]
    kept = [d for d in args.remove_from_dashboards or () if d in now]
    if already:
        text += f" It was already on {_ids_text(already)}."
    if absent:
        text += f" It was not on {_ids_text(absent)}."
    undone = [said("add it to {}", _ids_text(missing)), said("take it off {}", _ids_text(kept))]
    if missing or kept:
        text += f" PostHog did not {' or '.join(filter(None, undone))}: check those dashboards "
        text += "exist and are not deleted."
    return text


def _render_updated(data: Any, args: UpdateInsightArgs, ctx: Context) -> str:
    insight, before = data.get("insight") or {}, data.get("dashboards_before")
    query = query_of(insight)
    head = f"Updated insight {_name(insight)}{ids(insight)}"
    lines = [head + said(": {}", query and summary(query))]
    if before is not None:
        now = [d for d in insight.get("dashboards") or [] if isinstance(d, int)]
        lines.append(_dashboards_text(now, before, args))
    if args.description is not None and insight.get("description"):
        lines.append("Description: " + quoted(insight["description"]))
    if args.tags is not None:
        tags = [quoted(t) for t in insight.get("tags") or []]
        lines.append("Tags: " + (", ".join(tags) if tags else "none"))
    return "\n".join([*lines, *INSIGHTS.links(insight, ctx)])


ACTIONS = [
    row(
        INSIGHTS,
        "posthog_list_insights",
        "Find saved insights of any kind by name, description or tag, or one by short_id: name, "
        "ids, query kind, dashboards, last change. Use it for an insight's id before changing it.",
        ListInsightsArgs,
        _list_plan,
        _render_list,
        not_found=INSIGHTS.not_found,
        example={"search": "signups"},
    ),
    update_row(
        INSIGHTS,
        "posthog_update_insight",
        "Change a saved insight: name, description, query, tags, or the dashboards it is on. "
        "Only what is given changes; returns the insight and the dashboards it is now on.",
        UpdateInsightArgs,
        _update_plan,
        _render_updated,
        not_found=FIND_ID,
        example={"id": 5501, "name": "Weekly signups (DAU)", "add_to_dashboards": [14]},
    ),
]
