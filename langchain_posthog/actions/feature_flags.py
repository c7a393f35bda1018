"""Feature flags: find, read, create, roll out and delete."""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import (
    ArgsModel,
    Limit,
    Offset,
    key_chars,
    text_max,
)
from langchain_posthog.actions._filters import Percent, ReleaseCondition
from langchain_posthog.actions._flag_lookup import FLAGS, FlagRef, resolve_flag
from langchain_posthog.actions._render import compact_json, quoted, results, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import create_row, get_row, list_row, row, update_row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError

# PostHog allows 400 characters; checked, not declared, to keep it out of the model's schema.
FlagKey = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]+$"), text_max(400)]
# The same rule, checked rather than declared: the flag's own key already shows it to the model.
VariantKey = Annotated[str, key_chars(), text_max(400)]
FlagId = Annotated[
    int, Field(ge=1, description="Flag id (not the key); see posthog_list_feature_flags.")
]


class Variant(ArgsModel):
    key: VariantKey
    name: str | None = None
    rollout_percentage: Percent
    # Sent in filters.payloads under the variant's key, where PostHog keeps it.
    payload: str | None = Field(None, exclude=True, description="JSON text.")


class Multivariate(ArgsModel):
    variants: list[Variant] = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def _sum_to_100(self) -> Self:
        total = sum(v.rollout_percentage for v in self.variants)
        if total != 100:
            raise ValueError(f"variant rollout percentages must sum to 100, not {total}")
        if len({v.key for v in self.variants}) != len(self.variants):
            raise ValueError("variant keys must be unique")
        return self


class FlagFilters(ArgsModel):
    groups: list[ReleaseCondition] = Field(min_length=1, description="Release conditions, ORed.")
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "aggregation_group_type_index": (
            None,
            "flags that roll out by group (company, account) are not supported here; leave "
            "aggregation_group_type_index out for a flag on persons, or set it in PostHog",
        ),
    }
    multivariate: Multivariate | None = None
    payload: str | None = Field(None, exclude=True, description="JSON text, for a boolean flag.")
    # PostHog's own form ({"true" or a variant key: JSON text}) is accepted but not offered: an
    # object with free keys is refused by some providers, and a payload next to its variant is
    # clearer. Both end up here.
    payloads: SkipJsonSchema[dict[str, str] | None] = None

    @model_validator(mode="after")
    def _gather_payloads(self) -> Self:
        given = {} if self.payload is None else {"true": self.payload}
        for variant in self.multivariate.variants if self.multivariate else []:
            if variant.payload is not None:
                given[variant.key] = variant.payload
        twice = sorted(set(given) & set(self.payloads or {}))
        if twice:
            raise ValueError(f"payload for {', '.join(twice)} given twice")
        if given:
            self.payloads = {**(self.payloads or {}), **given}
        return self


class _FlagFields(ArgsModel):
    not_both = ("filters", "rollout_percentage", "give filters or rollout_percentage, not both")
    name: str | None = Field(None, description="Human description of the flag.")
    filters: FlagFilters | None = None
    rollout_percentage: Percent | None = Field(None, description="% of all users; or use filters.")
    active: bool | None = None
    ensure_experience_continuity: bool | None = None
    tags: list[str] | None = None


class CreateFeatureFlagArgs(_FlagFields):
    key: FlagKey = Field(description="Unique key used in code.")
    derived = ("is_simple_flag",)
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "deleted": (False, "a flag cannot be created deleted; leave deleted out"),
    }


class UpdateFeatureFlagArgs(_FlagFields):
    changes = "key, name, filters, rollout_percentage, active, ensure_experience_continuity or tags"
    id: FlagId
    key: FlagKey | None = None
    derived = ("is_simple_flag",)
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "deleted": (
            False,
            "deleting is not an update here; delete the flag with "
            "posthog_bulk_delete_feature_flags and ids [its id]",
        ),
    }


class ListFeatureFlagsArgs(ArgsModel):
    search: str | None = Field(None, description="Part of a key or name.")
    active: bool | None = None
    type: Literal["boolean", "multivariant", "experiment"] | None = None
    limit: Limit = 50
    offset: Offset = 0


class GetFeatureFlagArgs(FlagRef):
    pass


class BulkDeleteFilters(ArgsModel):
    search: str | None = None
    active: Literal["true", "false", "STALE"] | None = None
    type: Literal["boolean", "multivariant", "experiment", "remote_config"] | None = None
    tags: list[str] | None = None
    # The list endpoint's other filters (ENDPOINTS.md 3.5): taken, not shown to a model.
    created_by_id: SkipJsonSchema[Annotated[int, Field(ge=1)] | None] = None
    evaluation_runtime: SkipJsonSchema[Literal["server", "client", "all"] | None] = None

    @model_validator(mode="after")
    def _not_everything(self) -> Self:
        # The hidden two only narrow: most flags run everywhere, and one person made many.
        if not self.model_dump(exclude_none=True, include={"search", "active", "type", "tags"}):
            raise ValueError("filters need at least one of search, active, type or tags")
        return self


class BulkDeleteFeatureFlagsArgs(ArgsModel):
    one_of = ("ids", "filters", "give exactly one of ids or filters")
    ids: list[Annotated[int, Field(ge=1)]] | None = Field(None, min_length=1, max_length=100)
    filters: BulkDeleteFilters | None = Field(None, description="Delete every flag matching.")


def rollout_summary(filters: Mapping[str, Any] | None) -> str:
    """Describe a flag's release conditions in a few words."""
    if not filters:
        return "no release conditions"
    groups = filters.get("groups") or []
    parts = []
    for group in groups:
        pct = group.get("rollout_percentage")
        pct_text = "100%" if pct is None else f"{term(pct)}%"
        props = [p for p in group.get("properties") or [] if isinstance(p, dict)]
        if props:
            conds = " and ".join(
                f"{quoted(p.get('key') or '?')} {term(p.get('operator') or 'exact')}"
                + ("" if p.get("value") is None else " " + compact_json(p["value"]))
                for p in props
            )
            parts.append(f"{pct_text} of users where {conds}")
        else:
            parts.append(f"{pct_text} of all users")
    variants = ((filters.get("multivariate") or {}).get("variants")) or []
    text = "; ".join(parts) if parts else "no release conditions"
    if variants:
        text += "; variants " + ", ".join(
            quoted(v.get("key") or "?") + said(" {}%", _share(v.get("rollout_percentage")))
            for v in variants
        )
    return text


def _share(percent: Any) -> str | None:
    """A variant's share as PostHog's number, or ``None`` when it gave none."""
    return None if percent is None else term(percent)


def _flag_line(flag: dict[str, Any]) -> str:
    state = "active" if flag.get("active") else "inactive"
    name = said(", name {}", flag.get("name") and quoted(flag["name"]))
    key = quoted(flag["key"]) if flag.get("key") else "(no key)"
    return (
        f"- {key}{said(' (id {})', flag.get('id'))}{name}: {state}; "
        f"{rollout_summary(flag.get('filters'))}"
    )


def _flag_text(flag: Any, args: Any, ctx: Context) -> str:
    lines = [_flag_line(flag)[2:]]
    extra = []
    if flag.get("tags"):
        extra.append("tags " + ", ".join(map(quoted, flag["tags"])))
    if flag.get("ensure_experience_continuity"):
        extra.append("persists across identify")
    if flag.get("experiment_set"):
        extra.append(f"used by experiments {compact_json(flag['experiment_set'])}")
    payloads = (flag.get("filters") or {}).get("payloads")
    if payloads:
        extra.append(f"payloads {compact_json(payloads)}")
    if flag.get("deleted"):
        extra.append("DELETED")
    if extra:
        lines.append("; ".join(extra))
    return "\n".join(lines)


def _get_plan(args: GetFeatureFlagArgs, ctx: Context) -> Plan[Any]:
    ident, found = yield from resolve_flag(args, ctx)
    # Found by key: the list's item is the flag as GET answers it (the same serializer).
    return found if found is not None else (yield Call("GET", FLAGS.at(ctx, ident))).data


def _render_updated(data: Any, args: Any, ctx: Context) -> str:
    flag, before = data["flag"], data.get("before")
    text = "\n".join(["Updated flag " + _flag_text(flag, args, ctx), *FLAGS.links(flag, ctx)])
    if before is not None:
        text += f"\nRollout was: {rollout_summary(before)}"
    return text


def _rollout_filters(percent: int) -> dict[str, Any]:
    return {"groups": [{"properties": [], "rollout_percentage": percent}]}


def _flag_body(args: _FlagFields) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"id", "rollout_percentage"}, mode="json")
    if args.rollout_percentage is not None:
        body["filters"] = _rollout_filters(args.rollout_percentage)
    return body


def _create_body(args: CreateFeatureFlagArgs) -> dict[str, Any]:
    body = _flag_body(args)
    body.setdefault("filters", _rollout_filters(0))  # safe default: released to nobody
    body.setdefault("active", True)
    return body


def _update_plan(args: UpdateFeatureFlagArgs, ctx: Context) -> Plan[dict[str, Any]]:
    path = FLAGS.at(ctx, args.id)
    body = _flag_body(args)
    before = None
    if args.rollout_percentage is not None:
        # PATCH replaces filters whole: keep the flag's conditions and variants, change the share.
        current = (yield Call("GET", path)).data or {}
        before = current.get("filters") or {}
        groups = before.get("groups") or [{"properties": []}]
        body["filters"] = {
            **before,
            "groups": [{**g, "rollout_percentage": args.rollout_percentage} for g in groups],
        }
    reply = yield Call("PATCH", path, json=body)
    return {"flag": reply.data, "before": before}


def _bulk_delete_plan(args: BulkDeleteFeatureFlagsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    base = FLAGS.at(ctx)
    payload = args.model_dump(exclude_none=True, mode="json")
    try:
        return (yield Call("POST", base + "bulk_delete/", json=payload)).data or {}
    except PostHogAPIError as error:
        if error.status not in {404, 405}:
            raise
    # Older PostHog has no bulk endpoint: soft-delete one flag at a time.
    ids, more = args.ids, 0
    if ids is None:
        filters = args.filters.model_dump(exclude_none=True) if args.filters else {}
        listed = yield Call("GET", base, params={**filters, "limit": 100})
        ids = [f["id"] for f in results(listed.data)]
        count = listed.data.get("count") if isinstance(listed.data, dict) else None
        more = max(count - len(ids), 0) if isinstance(count, int) else 0
    deleted, errors = [], []
    for flag_id in ids:
        try:
            reply = yield Call("PATCH", f"{base}{flag_id}/", json={"deleted": True})
        except PostHogAPIError as error:
            errors.append({"id": flag_id, "reason": error.detail or f"HTTP {error.status}"})
        else:
            deleted.append({"id": flag_id, "key": (reply.data or {}).get("key")})
    return {"deleted": deleted, "errors": errors, **({"more": more} if more else {})}


def _render_bulk(data: Any, args: Any, ctx: Context) -> str:
    deleted = data.get("deleted") or []
    errors = data.get("errors") or []
    lines = [f"Deleted {len(deleted)} flag(s)" + (":" if deleted else ".")]
    lines += [f"- {_flag_ref(d)}" for d in deleted]
    if errors:
        lines.append(f"Not deleted ({len(errors)}):")
        lines += [
            f"- {_flag_ref(e)}" + said(": {}", e.get("reason") and quoted(e["reason"]))
            for e in errors
        ]
    if data.get("more"):
        # PostHog without the bulk endpoint: one page of flags at a time.
        lines.append(
            f"{term(data['more'])} more flag(s) match the filters and were not deleted: call "
            "again with the same filters to delete the next 100."
        )
    return "\n".join(lines)


def _flag_ref(flag: dict[str, Any]) -> str:
    """``key (id 12)``, or what of it PostHog gave."""
    if flag.get("key"):
        return quoted(flag["key"]) + said(" (id {})", flag.get("id"))
    return said("id {}", flag.get("id")) or "(unknown flag)"


ACTIONS = [
    list_row(
        FLAGS,
        "posthog_list_feature_flags",
        "List or search feature flags with their ids, keys, state and rollout. Use it to find a "
        "flag's id from its key or name.",
        ListFeatureFlagsArgs,
        _flag_line,
        empty="No flags match.",
        example={"search": "onboarding"},
    ),
    get_row(
        FLAGS,
        "posthog_get_feature_flag",
        "Get a feature flag by id or key: state, release conditions, variants, payloads.",
        GetFeatureFlagArgs,
        _flag_text,
        head="",
        plan=_get_plan,
        catalogue="GET_FEATURE_FLAG_DETAILS",
        example={"id": 1234},
    ),
    create_row(
        FLAGS,
        "posthog_create_feature_flag",
        "Create a feature flag. Without filters or rollout_percentage it is released to nobody "
        "(0%) until rolled out.",
        CreateFeatureFlagArgs,
        _flag_text,
        body=_create_body,
        catalogue="CREATE_FEATURE_FLAG",
        example={"key": "new-onboarding", "name": "New onboarding flow", "rollout_percentage": 25},
    ),
    update_row(
        FLAGS,
        "posthog_update_feature_flag",
        "Change a feature flag; only the fields given change. rollout_percentage changes the "
        "share in every release condition and keeps the conditions; filters replaces them.",
        UpdateFeatureFlagArgs,
        _update_plan,
        _render_updated,
        catalogue="UPDATE_FEATURE_FLAG",
        example={"id": 1234, "rollout_percentage": 20},
    ),
    row(
        FLAGS,
        "posthog_bulk_delete_feature_flags",
        "Delete (soft) several feature flags by ids or by filters. Names the flags deleted and "
        "those that could not be.",
        BulkDeleteFeatureFlagsArgs,
        _bulk_delete_plan,
        _render_bulk,
        scope="destructive",
        catalogue="BULK_DELETE_FEATURE_FLAGS",
        user_text=FLAGS.user_text("deleted[].key", "errors[].key", "errors[].reason"),
        example={"ids": [101, 102, 103]},
    ),
]
