"""What a model reads when a call goes wrong: bad arguments, and PostHog's errors.

Every message says what happened and what to do next (fix a field, list the objects first, ask
an admin for a scope, wait), in words a model can act on.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from langchain_posthog.actions._row import Action, Context
from langchain_posthog.api.errors import PostHogAPIError, PostHogError
from langchain_posthog.api.redaction import mask_key_shapes

# Argument names that hold the id of the object a request is about, for 404 messages.
_ID_FIELDS = ("id", "short_id", "session_id", "survey_id", "distinct_id")
_STRUCTURE_ERRORS = frozenset({"dict_type", "list_type", "model_type", "model_attributes_type"})


def format_validation_error(error: ValidationError | Exception) -> str:
    """List each field's problem, for a model to correct its call."""
    if not isinstance(error, ValidationError):
        return f"Invalid arguments, nothing was sent to PostHog: {mask_key_shapes(str(error))}"
    lines = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"]) or "arguments"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown argument; remove it"
        elif item["type"] in _STRUCTURE_ERRORS and isinstance(item.get("input"), str):
            message += " (a string was given that is not valid JSON)"
        # A message may quote the input: a key pasted into an argument is not repeated.
        lines.append(f"- {loc}: {mask_key_shapes(message)}")
    return "Invalid arguments, nothing was sent to PostHog:\n" + "\n".join(lines)


def explain(error: PostHogError, action: Action, args: Any, ctx: Context) -> str:
    """Turn a PostHog error into a message that tells a model what to do next."""
    if not isinstance(error, PostHogAPIError):
        return str(error)
    if action.explain is not None:
        custom = action.explain(error, args, ctx)
        if isinstance(custom, PostHogAPIError):
            error = custom  # the same error reworded (dataclasses.replace): default wording
        elif custom:
            return custom
    status, detail = error.status, (error.detail or "").rstrip(".")
    where = f"project {ctx.project_id}" if action.project_scoped else "PostHog"
    if status == 401:
        return (
            f"PostHog rejected the personal API key (401: {detail or 'authentication failed'}). "
            f"Check POSTHOG_PERSONAL_API_KEY, and that POSTHOG_HOST is the key's region "
            f"(US or EU; this toolkit talks to {ctx.app_url}). Retrying will not help."
        )
    if status == 403:
        advice = forbidden_advice(detail)
        return f"Permission denied (403) in {where}: {detail or 'forbidden'}. {advice}"
    if status == 404:
        hint = f" {action.not_found}" if _offered(action.not_found, ctx) else ""
        named = next(((n, getattr(args, n)) for n in _ID_FIELDS if getattr(args, n, None)), None)
        what = f"nothing with {named[0]} {named[1]} exists" if named else "no such object"
        # PostHog's own word adds nothing when it is only "Not found".
        said = "" if detail.lower().rstrip(".") in {"", "not found"} else f" ({detail})"
        return f"Not found (404) in {where}: {what}{said}.{hint}{_host_hint(error, action)}"
    if status in {400, 409, 422}:
        field_text = f"field {error.attr!r}: " if error.attr else ""
        return (
            f"PostHog refused the request ({status}): {field_text}{detail or 'invalid input'}. "
            "Fix the arguments and call again."
        )
    if status == 402:
        return (
            f"This needs a paid PostHog plan or add-on (402): {detail or 'payment required'}. "
            "Tell the user; retrying will not help."
        )
    if status == 429:
        waited = (
            f" after {error.attempts} attempts over {error.waited:.1f} s"
            if error.attempts > 1
            else ""
        )
        later = (
            f" Wait at least {error.retry_after:.0f} s before calling PostHog again"
            if error.retry_after
            else " Wait a minute before calling PostHog again"
        )
        return (
            f"PostHog is rate limiting this key (429){waited}: {detail}.{later}, or do other work."
        )
    if status >= 500:
        tries = f" after {error.attempts} attempts" if error.attempts > 1 else ""
        advice = (
            "It is usually transient; try again shortly."
            if error.safe_to_retry
            else "PostHog may or may not have applied it: check (get or list the object) "
            "before trying again, or it may be done twice."
        )
        return (
            f"PostHog had a server error ({status}){tries}: {detail or 'internal error'}. {advice}"
        )
    return str(error)


def _offered(hint: str | None, ctx: Context) -> bool:
    """Whether ``hint`` is given and names only tools the caller can use.

    A model told to call a tool it was not offered spends a turn on "not a valid tool".
    """
    return bool(hint) and all(ctx.offers(name) for name in _TOOL_NAME.findall(hint or ""))


_TOOL_NAME = re.compile(r"\bposthog_[a-z_]+")


def _host_hint(error: PostHogAPIError, action: Action) -> str:
    """For a 404 without PostHog's JSON error: the host may not be PostHog's API at all."""
    if error.json_body or action.capture:
        return ""
    return (
        " The answer had no PostHog error body: if it should exist, check the host "
        "(POSTHOG_HOST or host=, and the path prefix if PostHog is behind a proxy; "
        "'langchain-posthog check' tests them)."
    )


# PostHog's own words for a 403 (posthog/permissions.py: APIScopePermission,
# TeamMemberAccessPermission, the organization's personal-API-key setting), each with its fix.
_MISSING_SCOPE = re.compile(r"missing required scope '([\w:*-]+)'")
_FORBIDDEN_ADVICE = (
    (
        re.compile(r"does not have access to the requested project"),
        "The key is limited to other projects: pick a project from posthog_list_projects, or "
        "add this project to the key under Settings -> Personal API keys.",
    ),
    (
        re.compile(r"does not have access to the requested organization"),
        "The key is limited to other organizations: use a project of the key's organizations, "
        "or widen the key under Settings -> Personal API keys.",
    ),
    (
        re.compile(r"does not allow using personal API keys"),
        "The organization does not allow personal API keys for members: ask an organization "
        "admin to allow them, or to run this. Retrying will not help.",
    ),
    (
        re.compile(r"don't have access to the project"),
        "The key's owner is not a member of this project: pick a project from "
        "posthog_list_projects, or ask an admin for access. Retrying will not help.",
    ),
    (
        re.compile(r"sufficient permissions|access level is insufficient|do not have \w+ access"),
        "The key's owner has too low a role here: ask a project or organization admin to do it "
        "or to raise the role. Retrying will not help.",
    ),
    (
        re.compile(r"does not support personal API key access"),
        "PostHog does not allow this with a personal API key; tell the user to do it in "
        "PostHog's UI.",
    ),
)


def forbidden_advice(detail: str | None) -> str:
    """What to do about a 403, from what PostHog said about it."""
    text = detail or ""
    scope = _MISSING_SCOPE.search(text)
    if scope:
        return (
            f"The key lacks the '{scope.group(1)}' scope: add it to the key under Settings -> "
            "Personal API keys (or use a key that has it). Retrying will not help."
        )
    for pattern, advice in _FORBIDDEN_ADVICE:
        if pattern.search(text):
            return advice
    return "Tell the user what PostHog said; retrying will not help."
