"""Feature flag status: whether a flag is still in use, and what cleaning it up takes."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from __future__ import annotations

from typing import Any

from langchain_posthog.actions._flag_lookup import FLAGS, FlagRef, resolve_flag
from langchain_posthog.actions._render import quoted, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import row
from langchain_posthog.api.calls import Call, Plan

# What each of PostHog's statuses means for clean-up (FeatureFlagStatusChecker,
# posthog/models/feature_flag/flag_status.py). STALE is decided from the flag's configuration:
# active, rolled out to everyone (a condition at 100% with no properties; for a multivariate flag
# also one variant at 100% or a variant override) and created over 30 days ago. INACTIVE, in
# newer PostHog, from usage: no evaluation in 30 days (or never, for a flag over 30 days old).
_MEANING = {
    "active": (
        "Still in use: users can get different values. Keep it; ask again once it is rolled out "
        "to everyone."
    ),
    "stale": (
        "Rolled out to everyone and 30+ days old: every user gets the same value. Safe to remove: "
        "hard-code that value in place of each check, ship it, then delete the flag."
    ),
    "inactive": (
        "Not evaluated for 30+ days: nothing seems to call it. Remove any code left that reads "
        "the key, then delete the flag."
    ),
    "deleted": "Deleted: PostHog serves no value for it. Remove code that still reads the key.",
    "unknown": "PostHog could not tell.",
}


class GetFeatureFlagStatusArgs(FlagRef):
    pass


def _status_plan(args: GetFeatureFlagStatusArgs, ctx: Context) -> Plan[dict[str, Any]]:
    ident, flag = yield from resolve_flag(args, ctx)
    if flag is None:
        # The status alone does not name the flag, and cleaning up means finding its key in code.
        flag = (yield Call("GET", FLAGS.at(ctx, ident))).data
    status = (yield Call("GET", FLAGS.at(ctx, ident) + "status/")).data
    answer = status if isinstance(status, dict) else {}
    return {**answer, "flag": flag}


def _render_status(data: Any, args: GetFeatureFlagStatusArgs, ctx: Context) -> str:
    flag = data.get("flag") if isinstance(data.get("flag"), dict) else {}
    key = flag.get("key") or args.key
    ident = flag.get("id") or args.id
    name = "Flag" + (f" {quoted(key)}" if key else "") + said(" (id {})", ident)
    status = str(data.get("status") or "unknown").lower()
    lines = [f"{name}: {term(status)}. {_MEANING.get(status, '')}".rstrip()]
    if data.get("reason"):
        lines.append(f"PostHog's reason: {quoted(data['reason'])}")
    if status in {"stale", "inactive"} and ident is not None:
        if ctx.offers("posthog_bulk_delete_feature_flags"):
            lines.append(f"Delete it with posthog_bulk_delete_feature_flags, ids [{ident}].")
        else:
            lines.append("It can be deleted in PostHog, from the link below.")
    if ident is not None:
        lines.append(FLAGS.link(ident, ctx, flag))
    return "\n".join(lines)


ACTIONS = [
    row(
        FLAGS,
        "posthog_get_feature_flag_status",
        "Check whether a feature flag can be cleaned up: active, stale, inactive or deleted, "
        "with PostHog's reason and what to do. Takes an id or a key; use it before removing one.",
        GetFeatureFlagStatusArgs,
        _status_plan,
        _render_status,
        not_found=FLAGS.not_found,
        # PostHog's reason may quote the flag's values ("will always evaluate to ...").
        user_text=FLAGS.user_text("reason"),
        example={"key": "new-onboarding"},
    ),
]
