"""Compact, typed pieces of PostHog's query schema, shared by the insight and query tools.

PostHog's own schema for a query node runs to thousands of tokens; these models keep what a model
needs to ask a useful question (series of events or actions with math and property filters, date
ranges, breakdowns) and build the nodes PostHog expects with ``to_api()``. Field names are
PostHog's (``event``, ``math``, ``math_property``, ``operator``...), which models often know.

A saved insight's query is one flat model checked per kind rather than a union on ``kind``:
LangChain inlines every ``$ref`` when it sends a schema, so a union repeats the shared fields
(series, filters, dates) once per kind, which measured 4,800 tokens against about 1,000.
"""

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._filters import QueryProperty
from langchain_posthog.schema import strict_schema_wanted

Math = Literal[
    "total", "dau", "weekly_active", "monthly_active", "unique_session", "first_time_for_user",
    "avg", "sum", "min", "max", "median", "p90", "p95", "p99",
]  # fmt: skip
PROPERTY_MATH = frozenset({"avg", "sum", "min", "max", "median", "p90", "p95", "p99"})
FUNNEL_MATH = frozenset({"total", "first_time_for_user"})
Interval = Literal["minute", "hour", "day", "week", "month"]
BreakdownType = Literal["event", "person", "session", "hogql"]
DATE = "Like -7d, -24h, mStart or 2026-01-31."


def _like_series_filters(schema: dict[str, Any]) -> None:
    # The item schema is Series.properties' again; pointing there saves ~100 tokens a tool. An
    # array still names its items' type (Gemini refuses one that does not); strict mode, which
    # lets a model send only what is declared, gets the whole schema.
    if strict_schema_wanted():
        return
    schema.clear()
    schema.update(
        type="array",
        items={"type": "object", "properties": {"key": {"type": "string"}}},
        description="Filters like series[].properties, on every series.",
    )


def global_filters() -> Any:
    """Declare a ``properties`` field for the whole query (validated as QueryProperty)."""
    return Field(None, json_schema_extra=_like_series_filters)


def filters_to_api(filters: list[QueryProperty] | None) -> list[dict[str, Any]] | None:
    return [f.to_api() for f in filters] if filters else None


class BareSeries(ArgsModel):
    # No docstring: pydantic would send it to the model as a description, on every call.

    event: str | None = Field(None, description="e.g. $pageview; null = all events.")
    id: int | None = Field(None, ge=1, description="Action id, instead of event.")
    math: Math | None = Field(None, description="Default total; dau: unique users.")
    math_property: str | None = Field(None, description="Numeric property, for avg..p99.")

    @model_validator(mode="before")
    @classmethod
    def _accept_posthog_nodes(cls, data: Any) -> Any:
        # Models that know PostHog send whole EventsNode/ActionsNode objects: take what we model.
        if isinstance(data, str) and not data.lstrip().startswith("{"):
            return {"event": data}
        if not isinstance(data, dict):
            return data
        data = dict(data)
        kind = data.pop("kind", None)
        name = data.pop("name", None)
        data.pop("custom_name", None)  # a display label only
        if kind == "ActionsNode" and data.get("id") is None:
            raise ValueError("an ActionsNode needs id, the saved action's id")
        if kind != "ActionsNode" and "event" not in data and "id" not in data and name:
            data["event"] = name
        if "properties" in data and "properties" not in cls.model_fields:
            raise ValueError("series take no properties here; filter with where (HogQL) instead")
        return data

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.id is not None and self.event is not None:
            raise ValueError("give event or id (a saved action), not both")
        if self.id is None and "event" not in self.model_fields_set:
            raise ValueError("give event (null for all events) or id (a saved action)")
        if self.math in PROPERTY_MATH and not self.math_property:
            raise ValueError(f"math {self.math!r} needs math_property, the numeric property")
        return self

    @property
    def label(self) -> str:
        return f"action {self.id}" if self.id is not None else self.event or "All events"

    def to_api(self) -> dict[str, Any]:
        """Build PostHog's ``EventsNode`` or ``ActionsNode``."""
        node: dict[str, Any]
        if self.id is not None:
            node = {"kind": "ActionsNode", "id": self.id}
        else:
            node = {"kind": "EventsNode", "event": self.event, "name": self.event or "All events"}
        extra = {
            "math": self.math,
            "math_property": self.math_property,
            "properties": filters_to_api(getattr(self, "properties", None)),
        }
        return node | {k: v for k, v in extra.items() if v is not None}


class Series(BareSeries):
    properties: list[QueryProperty] | None = Field(None, description="ANDed.")


def date_range(date_from: str | None, date_to: str | None) -> dict[str, str] | None:
    """PostHog's ``dateRange``, or ``None`` for PostHog's default."""
    out = {k: v for k, v in (("date_from", date_from), ("date_to", date_to)) if v}
    return out or None


def drop_none(value: dict[str, Any]) -> dict[str, Any]:
    """Leave out the keys whose value is ``None``."""
    return {k: v for k, v in value.items() if v is not None}


# -- a saved insight's query -------------------------------------------------------------------

KINDS = ("TrendsQuery", "FunnelsQuery", "RetentionQuery", "PathsQuery", "StickinessQuery",
         "LifecycleQuery")  # fmt: skip
WEB_KINDS = frozenset({"WebStatsTableQuery", "WebOverviewQuery"})
WEB_REFUSAL = (
    "web analytics queries (WebStatsTableQuery, WebOverviewQuery) cannot be saved with this "
    "tool: a saved insight's InsightVizNode only takes " + ", ".join(KINDS) + ". Save the same "
    "numbers as a TrendsQuery (e.g. series [{event: $pageview, math: dau}], breakdown $pathname "
    "or $referring_domain), or point the user to PostHog's Web analytics page."
)
Display = Literal["ActionsLineGraph", "ActionsBar", "BoldNumber", "ActionsTable", "ActionsPie"]
WindowUnit = Literal["second", "minute", "hour", "day", "week", "month"]
PathType = Literal["$pageview", "$screen", "custom_event"]

# Fields that only some kinds take; every other field applies to all kinds.
ONLY: dict[str, frozenset[str]] = {
    **dict.fromkeys(("series", "interval"), frozenset(KINDS) - {"PathsQuery"}),
    **dict.fromkeys(
        ("breakdown", "breakdown_type"),
        frozenset({"TrendsQuery", "FunnelsQuery", "RetentionQuery"}),
    ),
    **dict.fromkeys(("display", "formula"), frozenset({"TrendsQuery"})),
    **dict.fromkeys(
        ("funnel_window_interval", "funnel_window_interval_type"),
        frozenset({"FunnelsQuery"}),
    ),
    "retention_intervals": frozenset({"RetentionQuery"}),
    **dict.fromkeys(("path_start", "path_end", "path_types"), frozenset({"PathsQuery"})),
}
SERIES_COUNT = {  # (fewest, most)
    "TrendsQuery": (1, 20),
    "StickinessQuery": (1, 20),
    "FunnelsQuery": (2, 20),
    "RetentionQuery": (1, 2),
    "LifecycleQuery": (1, 1),
}
# PostHog's own nesting, for models that send a query shaped like PostHog's schema.
POSTHOG_KEYS = {
    "dateRange": {"date_from": "date_from", "date_to": "date_to"},
    "breakdownFilter": {"breakdown": "breakdown", "breakdown_type": "breakdown_type"},
    "trendsFilter": {"display": "display", "formula": "formula"},
    "funnelsFilter": {
        "funnelWindowInterval": "funnel_window_interval",
        "funnelWindowIntervalUnit": "funnel_window_interval_type",
    },
    "retentionFilter": {"totalIntervals": "retention_intervals"},
    "pathsFilter": {
        "startPoint": "path_start",
        "endPoint": "path_end",
        "includeEventTypes": "path_types",
    },
}


def _from_posthog_shape(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "filterTestAccounts" in data:
        data["filter_test_accounts"] = data.pop("filterTestAccounts")
    retention = data.get("retentionFilter")
    if isinstance(retention, dict):
        entities = [retention.get(k) for k in ("targetEntity", "returningEntity")]
        data.setdefault("series", [_entity_series(e) for e in entities if isinstance(e, dict)])
        if isinstance(retention.get("period"), str):
            data.setdefault("interval", retention["period"].lower())
    for outer, names in POSTHOG_KEYS.items():
        inner = data.pop(outer, None)
        if isinstance(inner, dict):
            taken = {*names, *(_RETENTION_READ if outer == "retentionFilter" else ())}
            # Dropping one would save an insight that measures something else: refused instead.
            left = sorted(
                k for k, v in inner.items() if k not in taken and not _changes_nothing(outer, k, v)
            )
            if left:
                raise ValueError(
                    f"{outer}: {', '.join(left)} cannot be set here (this tool takes "
                    f"{', '.join(names)}); leave {'them' if len(left) > 1 else 'it'} out, and "
                    "change the rest in PostHog after the insight is created"
                )
            for theirs, ours in names.items():
                if inner.get(theirs) is not None:
                    data.setdefault(ours, inner[theirs])
    return data


def _changes_nothing(outer: str, key: str, value: Any) -> bool:
    default = _DEFAULTS.get((outer, key))
    return value is None or (type(value) is type(default) and value == default)


# retentionFilter keys read above, as the series and the interval.
_RETENTION_READ = ("targetEntity", "returningEntity", "period")
# Settings at PostHog's own default (its schema's, openapi-subset.json), which PostHog's UI puts
# in the queries it exports: leaving them out changes nothing.
_DEFAULTS: dict[tuple[str, str], Any] = {
    ("dateRange", "explicitDate"): False,
    ("funnelsFilter", "funnelVizType"): "steps",
    ("funnelsFilter", "funnelOrderType"): "ordered",
    ("funnelsFilter", "funnelStepReference"): "total",
    ("trendsFilter", "showLegend"): False,
    ("trendsFilter", "smoothingIntervals"): 1,
}


def _entity_series(entity: dict[str, Any]) -> dict[str, Any]:
    if entity.get("type") == "actions" or entity.get("kind") == "ActionsNode":
        return {"id": entity.get("id")}
    return {"event": entity.get("id") or entity.get("name")}


class InsightQuery(ArgsModel):
    kind: Literal[
        "TrendsQuery", "FunnelsQuery", "RetentionQuery", "PathsQuery", "StickinessQuery",
        "LifecycleQuery",
    ]  # fmt: skip
    series: list[Series] | None = Field(
        None, description="Trend lines; funnel steps in order; retention [start, return]."
    )
    date_from: PostHogDate | None = Field(None, description=DATE)
    date_to: PostHogDate | None = Field(None, description="Same forms; default now.")
    interval: Interval | None = Field(None, description="Retention: its period.")
    properties: list[QueryProperty] | None = global_filters()
    breakdown: str | None = Field(None, description="Property to split by, e.g. $browser.")
    breakdown_type: BreakdownType | None = None
    filter_test_accounts: bool | None = None
    display: Display | None = None
    formula: str | None = Field(None, description="Over series letters, e.g. B/A*100.")
    funnel_window_interval: int | None = Field(None, ge=1)
    funnel_window_interval_type: WindowUnit | None = None
    retention_intervals: int | None = Field(None, ge=1, le=100)
    path_start: str | None = Field(None, description="URL or event paths start from.")
    path_end: str | None = None
    path_types: list[PathType] | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") in {"InsightVizNode", "DataTableNode"}:
            data = data.get("source")  # PostHog's wrappers: the tool adds the InsightVizNode
        if not isinstance(data, dict):
            return data
        if data.get("kind") in WEB_KINDS:
            raise ValueError(WEB_REFUSAL)
        if data.get("kind") in {"HogQLQuery", "DataVisualizationNode"}:
            raise ValueError(
                "SQL insights cannot be saved with this tool; run the SQL with "
                "posthog_run_hogql_query, or save a trends/funnel/... query instead"
            )
        return _from_posthog_shape(data)

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        kind = self.kind
        wrong = [
            n for n, kinds in ONLY.items() if getattr(self, n) is not None and kind not in kinds
        ]
        if wrong:
            verb = "does" if len(wrong) == 1 else "do"
            raise ValueError(f"{', '.join(wrong)} {verb} not apply to {kind}")
        check_order(self.date_from, self.date_to)
        if kind in SERIES_COUNT:
            fewest, most = SERIES_COUNT[kind]
            count = len(self.series or [])
            if not fewest <= count <= most:
                wanted = f"{fewest}" if fewest == most else f"{fewest} to {most}"
                raise ValueError(f"{kind} takes {wanted} series, not {count}")
        if kind == "FunnelsQuery" and any(
            s.math not in (None, *FUNNEL_MATH) for s in self.series or []
        ):
            raise ValueError("funnel steps take math total or first_time_for_user only")
        if kind == "RetentionQuery":
            if self.interval == "minute":
                raise ValueError("retention periods are hour, day, week or month")
            if any(s.id is None and s.event is None for s in self.series or []):
                raise ValueError("retention needs named events (or action ids), not all events")
            if any(s.math or s.math_property for s in self.series or []):
                raise ValueError("retention series take no math")
        return self

    def to_api(self) -> dict[str, Any]:
        """Build PostHog's query node (the source of an InsightVizNode)."""
        node: dict[str, Any] = {
            "kind": self.kind,
            "dateRange": date_range(self.date_from, self.date_to),
            "properties": filters_to_api(self.properties),
            "filterTestAccounts": self.filter_test_accounts,
        }
        if self.kind == "RetentionQuery":
            start, back = (self.series or [])[0], (self.series or [])[-1]
            node["retentionFilter"] = drop_none(
                {
                    "targetEntity": _entity(start),
                    "returningEntity": _entity(back),
                    "period": self.interval.capitalize() if self.interval else None,
                    "totalIntervals": self.retention_intervals,
                }
            )
        elif self.kind == "PathsQuery":
            node["pathsFilter"] = drop_none(
                {
                    "startPoint": self.path_start,
                    "endPoint": self.path_end,
                    "includeEventTypes": self.path_types,
                }
            )
        else:
            node["series"] = [s.to_api() for s in self.series or []]
            node["interval"] = self.interval
        if self.breakdown:
            node["breakdownFilter"] = {
                "breakdown": self.breakdown,
                "breakdown_type": self.breakdown_type or "event",
            }
        if self.kind == "TrendsQuery":
            node["trendsFilter"] = (
                drop_none({"display": self.display, "formula": self.formula}) or None
            )
        if self.kind == "FunnelsQuery":
            node["funnelsFilter"] = (
                drop_none(
                    {
                        "funnelWindowInterval": self.funnel_window_interval,
                        "funnelWindowIntervalUnit": self.funnel_window_interval_type,
                    }
                )
                or None
            )
        return drop_none(node)


def _entity(series: Series) -> dict[str, Any]:
    """Build a RetentionEntity, which names its event in ``id`` (an EventsNode uses ``event``)."""
    if series.id is not None:
        node = {"id": series.id, "type": "actions", "kind": "ActionsNode"}
    else:
        node = {"id": series.event, "name": series.event, "type": "events", "kind": "EventsNode"}
    return drop_none({**node, "properties": filters_to_api(series.properties)})
