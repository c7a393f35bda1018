"""Feature flags by id or by key: the area the flag rows share, and finding a flag from its key.

PostHog's flag endpoints take the numeric id; a model usually knows the key (it is what code
holds). A key is found with the list's ``search`` (key or name contains it, case-insensitive;
FeatureFlagViewSet._filter_request in PostHog) and an exact match on ``key``.
"""

import difflib
from typing import Annotated, Any

from pydantic import Field, field_validator

from langchain_posthog.actions._args import ArgsModel, key_chars, positive, text_max
from langchain_posthog.actions._render import quoted, results, said
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogError

FLAGS = Area(
    "feature_flag",
    "feature_flags",
    "flag",
    plural="feature flags",
    ui="feature_flags",
    not_found="Find the flag's id with posthog_list_feature_flags (search by key).",
    text=("key", "name", "tags[]", "filters"),
)
# Checked, not declared: a key's characters and length stay out of the schema a model reads.
LookupKey = Annotated[str, key_chars(), text_max(400)]
# PostHog's page size is at most 100; a search that matches more than this is cut here.
_PAGE = 100
_MOST = 500


class FlagRef(ArgsModel):
    one_of = ("id", "key", "give exactly one of id or key")
    # The bound is checked, not declared: this schema is paid for on every call.
    id: Annotated[int | None, positive(1)] = Field(None, description="Or give key.")
    key: LookupKey | None = Field(None, description="As in code.")

    @field_validator("id", mode="before")
    @classmethod
    def _key_given_as_id(cls, value: Any) -> Any:
        # A model that knows the flag by its key often sends it as id: say which field takes it.
        if isinstance(value, str) and value.strip() and not value.strip().isdigit():
            raise ValueError("the flag's number; a flag's key goes in key instead")
        return value


def find_flag(ctx: Context, key: str) -> Plan[dict[str, Any]]:
    """The flag whose key is exactly ``key``, from PostHog's search of flags.

    Raises:
        PostHogError: no flag has that key; the message names the closest keys.
    """
    seen: list[dict[str, Any]] = []
    while True:
        params = {"search": key, "limit": _PAGE, "offset": len(seen)}
        page = yield Call("GET", FLAGS.at(ctx), params=params)
        items = results(page.data)
        found = next((f for f in items if f.get("key") == key and f.get("id") is not None), None)
        if found is not None:
            return found
        seen += items
        count = page.data.get("count") if isinstance(page.data, dict) else None
        if not items or not isinstance(count, int) or len(seen) >= min(count, _MOST):
            break
    if not seen:
        # Nothing contains the key (a typo, say): compare it with the newest flags instead.
        page = yield Call("GET", FLAGS.at(ctx), params={"limit": _PAGE})
        seen = results(page.data)
    raise PostHogError(no_such_key(key, seen))


def resolve_flag(args: FlagRef, ctx: Context) -> Plan[tuple[int, dict[str, Any] | None]]:
    """The id ``args`` names, and the flag itself when finding it by key fetched it."""
    if args.id is not None:
        return args.id, None
    flag = yield from find_flag(ctx, str(args.key))  # one_of: a key when there is no id
    return int(flag["id"]), flag


def no_such_key(key: str, flags: list[dict[str, Any]]) -> str:
    """What to tell a model that named a key no flag has, with the closest of ``flags``."""
    head = f"No feature flag in this project has the key {quoted(key)}"
    by_key = {str(f["key"]): f for f in flags if f.get("key")}
    folded = [k for k in by_key if k.lower() == key.lower()]
    close = folded + [
        k for k in difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.5) if k not in folded
    ]
    if close:
        names = ", ".join(quoted(k) + said(" (id {})", by_key[k].get("id")) for k in close[:5])
        case = " (keys are case-sensitive)" if folded else ""
        closest = "the closest is" if len(close) == 1 else "the closest are"
        return f"{head}{case}; {closest} {names}."
    if not by_key:
        return f"{head}; it has no feature flags. Check the project (posthog_list_projects)."
    return (
        f"{head}, and none is close. Search with posthog_list_feature_flags (search takes part "
        "of a key or name)."
    )
