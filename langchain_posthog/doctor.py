"""What ``langchain-posthog check`` checks, in order, with one line per step.

1. host reachable: the app host gives any HTTP answer to ``GET /api/users/@me/``;
2. key valid: PostHog accepts the personal key (and it is a personal key, not a project key);
3. project: the bound project (or ``@current``) is one of the key's projects;
4. scopes: the key's scopes allow every offered tool (or the tools a missing scope disables);
5. ingestion host reachable, when a project key is set.

A step that fails stops the steps that depend on it, each reported as ``skip`` with the reason;
the others still run. ``skip`` says a step could not be checked, and is not a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from langchain_posthog.api.calls import Call, api_path
from langchain_posthog.api.errors import PostHogAPIError, PostHogConfigError, PostHogError
from langchain_posthog.api.hosts import CLOUD_HOSTS
from langchain_posthog.cli import mask_key
from langchain_posthog.toolkit import PostHogToolkit

HOST = "host reachable"
KEY = "key valid"
PROJECT = "project"
SCOPES = "scopes"
INGESTION = "ingestion host reachable"
SETTINGS = "settings"

# The key's own record, with its scopes (PostHog/posthog posthog/api/personal_api_key.py: a
# personal key may retrieve itself, and only itself, as '@current').
KEY_PATH = "/api/personal_api_keys/@current/"
# Capture's readiness route (PostHog/posthog rust/capture/src/router.rs) answers a fixed text
# and reads nothing: unlike a capture it stores no event, and unlike /flags or /decide it is not
# billed. Any HTTP answer, whatever its status, shows the ingestion host can be reached.
INGESTION_PROBE = "/_readiness"
_MAX_PAGES = 20  # 2,000 projects: enough to find one, without walking a huge account forever


class Report:
    """The verdicts, each printed as it comes; ``failed`` says whether any step failed."""

    def __init__(self, line: Callable[[str], None], error: Callable[[str], None]) -> None:
        self._line = line
        self._error = error
        self.failed = False

    def ok(self, step: str, detail: str) -> None:
        """The step passed (to ``line``)."""
        self._line(f"ok   {step}: {_one_line(detail)}")

    def skip(self, step: str, detail: str) -> None:
        """The step could not be checked; not a failure (to ``line``)."""
        self._line(f"skip {step}: {_one_line(detail)}")

    def fail(self, step: str, detail: str) -> None:
        """The step failed (to ``error``)."""
        self.failed = True
        self._error(f"FAIL {step}: {_one_line(detail)}")


def scope_allows(granted: list[str], needed: str) -> bool:
    """Whether a key with the ``granted`` scopes may use an endpoint that needs ``needed``.

    As PostHog decides (posthog/permissions.py, APIScopePermission): ``*`` allows everything, a
    key saved without scopes is an old key that may do anything, and an object's ``write``
    scope allows reading it too.
    """
    if not granted or "*" in granted or needed in granted:
        return True
    thing, _, access = needed.partition(":")
    return access == "read" and f"{thing}:write" in granted


def run_checks(
    build: Callable[..., PostHogToolkit],
    report: Report,
    *,
    personal_key: str | None,
    project_key: str | None,
) -> None:
    """Run every check with a toolkit from ``build(**settings)``, reporting each step."""
    answers: list[int] = []  # the status of every HTTP answer the app and ingestion hosts gave

    def answered(response: httpx.Response) -> None:
        answers.append(response.status_code)

    with httpx.Client(event_hooks={"response": [answered]}) as http:
        try:
            toolkit = build(http_client=http)
        except PostHogConfigError as error:
            swapped = (personal_key or "").startswith("phc_")
            wrong_kind = swapped or (project_key or "").startswith("phx_")
            report.fail(KEY if wrong_kind else SETTINGS, str(error))
            return
        with toolkit:
            _run(toolkit, report, answers)


def _run(toolkit: PostHogToolkit, report: Report, answers: list[int]) -> None:
    client = toolkit.client
    if not client.has_personal_key:
        report.skip(HOST, "not tried: it is asked with the personal API key")
        report.fail(
            KEY,
            "POSTHOG_PERSONAL_API_KEY is not set (nor --personal-api-key): create a personal "
            "API key (phx_...) in PostHog under Settings -> Personal API keys",
        )
        _skip(report, "needs a valid personal API key", PROJECT, SCOPES)
        _ingestion(toolkit, report)
        return
    user = toolkit.execute("posthog_get_current_user")
    if not answers:
        report.fail(HOST, f"{client.app_url}: {user.error or 'no answer'}")
        _skip(report, f"needs an answer from {client.app_url}", KEY, PROJECT, SCOPES)
        if client.ingest_url != client.app_url:
            _ingestion(toolkit, report)
        elif client.has_project_key and not toolkit.read_only:
            report.skip(INGESTION, f"the same host as the app, {client.app_url}, did not answer")
        else:
            _ingestion(toolkit, report)  # says why the capture tools are off
        return
    if answers[-1] == 404:
        # PostHog answers GET /api/users/@me/ for any key, or refuses the key: never with 404.
        report.fail(
            HOST,
            f"{client.app_url} answered 404 to GET /api/users/@me/, which PostHog's API answers "
            "for any key: it is not PostHog's API at this address. Check POSTHOG_HOST (or "
            "--host), and the path prefix if PostHog is behind a proxy",
        )
        _skip(report, f"needs PostHog's API at {client.app_url}", KEY, PROJECT, SCOPES)
        _ingestion(toolkit, report)
        return
    report.ok(HOST, client.app_url)
    # 403: PostHog knows the key, which may not read its user (no user:read scope).
    if not user.successful and answers[-1] != 403:
        report.fail(KEY, _rejected(toolkit) if answers[-1] == 401 else user.error or "failed")
        _skip(report, "needs a valid personal API key", PROJECT, SCOPES)
        _ingestion(toolkit, report)
        return
    report.ok(KEY, _key_summary(toolkit, user.data if user.successful else None))
    key = _key_record(toolkit)
    _project(toolkit, report, user.data if user.successful else None, key)
    _scopes(toolkit, report, key)
    _ingestion(toolkit, report)


def _skip(report: Report, why: str, *steps: str) -> None:
    for step in steps:
        report.skip(step, why)


def _rejected(toolkit: PostHogToolkit) -> str:
    app = toolkit.client.app_url
    text = f"the personal API key {_masked(toolkit)} was rejected by {app} (401): check the key"
    region = next((r for r, (url, _) in CLOUD_HOSTS.items() if url == app), None)
    if region is None:  # self-hosted: there is no other region to try
        return f"{text}, and that it was made on this PostHog instance"
    other = next(r for r in CLOUD_HOSTS if r != region)
    return f"{text}; if it was made in PostHog's {other.upper()} region, set POSTHOG_HOST={other}"


def _masked(toolkit: PostHogToolkit) -> str:
    secret = toolkit.personal_api_key
    return mask_key(secret.get_secret_value()) if secret is not None else "(none)"


def _key_summary(toolkit: PostHogToolkit, user: Any) -> str:
    masked = _masked(toolkit)
    # PostHog may accept other tokens too; only a phx_ key is a personal API key.
    text = f"{'personal API key' if masked.startswith('phx_') else 'key'} {masked}"
    if not isinstance(user, dict):
        return f"{text}; it may not read its user (403 to GET /api/users/@me/)"
    name = " ".join(filter(None, [user.get("first_name"), user.get("last_name")]))
    return f"{text} of {name or user.get('email') or 'a user with no name'}"


def _key_record(toolkit: PostHogToolkit) -> dict[str, Any] | PostHogError:
    """The key's own record from PostHog (its scopes and limits), or why there is none."""
    try:
        data = toolkit.client.request(Call("GET", KEY_PATH)).data
    except PostHogError as error:
        return error
    return data if isinstance(data, dict) else PostHogError(f"GET {KEY_PATH} gave no object")


def _project(
    toolkit: PostHogToolkit, report: Report, user: Any, key: dict[str, Any] | PostHogError
) -> None:
    limits = key if isinstance(key, dict) else {}
    bound = toolkit.bound_project or "@current"
    label = f"project {bound}"
    if bound == "@current":
        if not isinstance(user, dict):
            report.skip(PROJECT, "@current cannot be resolved by a key that may not read its user")
            return
        team = user.get("team")
        if not isinstance(team, dict):
            report.fail(PROJECT, "the key's user has no current project; set POSTHOG_PROJECT_ID")
            return
        wanted = _int(team.get("project_id") or team.get("id"))
        label = f"@current is {team.get('name')} (id {wanted})"
    else:
        wanted = int(bound)
    scoped = [n for n in limits.get("scoped_teams") or [] if isinstance(n, int)]
    if scoped:  # a key limited to some projects may not list projects at all
        ids = ", ".join(map(str, scoped))
        if wanted in scoped:
            report.ok(PROJECT, f"{label}, one of the projects the key is limited to ({ids})")
        else:
            report.fail(
                PROJECT,
                f"project {wanted} is not one of the key's projects: the key is limited to "
                f"projects {ids}; set POSTHOG_PROJECT_ID to one of them, or add it to the key",
            )
        return
    projects, problem = _projects(toolkit, user, wanted)
    names = _names(projects)
    if wanted in projects:
        allowed = limits.get("scoped_organizations") or []
        if allowed and str(projects[wanted].get("organization")) not in allowed:
            report.fail(PROJECT, f"{label} is in an organization the key is not allowed in")
        elif bound == "@current":
            report.ok(PROJECT, f"{label}; the key's projects: {names}")
        else:
            name = projects[wanted].get("name")
            report.ok(PROJECT, f"{label} is {name}; the key's projects: {names}")
    elif bound == "@current" and problem:  # PostHog resolves @current itself
        report.ok(PROJECT, f"{label} (the key's projects could not be listed: {problem})")
    elif problem:
        report.fail(PROJECT, f"could not list the key's projects: {problem}")
    else:
        report.fail(
            PROJECT,
            f"project {wanted} is not one of the key's projects ({names or 'none'}); set "
            "POSTHOG_PROJECT_ID (or --project-id) to one of them",
        )


def _names(projects: dict[int, dict[str, Any]], shown: int = 10) -> str:
    names = [f"{p.get('name')} (id {i})" for i, p in projects.items()]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _projects(
    toolkit: PostHogToolkit, user: Any, wanted: int
) -> tuple[dict[int, dict[str, Any]], str | None]:
    """The key's projects by id (stopping once ``wanted`` is found), and why a list failed."""
    found: dict[int, dict[str, Any]] = {}
    offset = 0
    for _ in range(_MAX_PAGES):
        page = toolkit.execute("posthog_list_projects", {"limit": 100, "offset": offset})
        if not page.successful:
            return found, page.error or "failed"
        items = _items(page.data)
        found.update((_int(p.get("id")), p) for p in items)
        more = isinstance(page.data, dict) and page.data.get("next")
        if wanted in found or not items or not more:
            break
        offset += len(items)
    # /api/projects/ lists the current organization's projects; the key may reach others.
    orgs = user.get("organizations") if isinstance(user, dict) else None
    current = (user.get("organization") or {}).get("id") if isinstance(user, dict) else None
    for org in orgs or []:
        if wanted in found:
            break
        if not isinstance(org, dict) or not org.get("id") or org.get("id") == current:
            continue
        path = api_path("/api/organizations/{organization_id}/projects/", organization_id=org["id"])
        try:
            reply = toolkit.client.request(Call("GET", path, params={"limit": 100}))
        except PostHogError:
            continue  # an organization the key may not reach
        found.update((_int(p.get("id")), p) for p in _items(reply.data))
    found.pop(-1, None)
    return found, None


def _scopes(toolkit: PostHogToolkit, report: Report, key: dict[str, Any] | PostHogError) -> None:
    if isinstance(key, PostHogAPIError) and key.status in {403, 404}:
        # Older PostHog: no '@current', or reading a key needed a scope of its own.
        report.skip(
            SCOPES,
            f"could not be checked: PostHog answered {key.status} to GET {KEY_PATH} (older "
            "versions do not show a key its scopes)",
        )
        return
    if isinstance(key, PostHogError):
        report.fail(SCOPES, f"could not read the key's scopes: {key}")
        return
    granted = [s for s in key.get("scopes") or [] if isinstance(s, str)]
    actions = toolkit.actions()
    missing: dict[str, list[str]] = {}
    for action in actions:
        if action.api_scope and not scope_allows(granted, action.api_scope):
            missing.setdefault(action.api_scope, []).append(action.name)
    if not missing:
        shown = ", ".join(granted) or "*"
        report.ok(SCOPES, f"the key's scopes ({shown}) allow all {len(actions)} offered tools")
        return
    lacking = "; ".join(
        f"{scope} (disables {', '.join(names)})" for scope, names in missing.items()
    )
    report.fail(
        SCOPES,
        f"the key lacks {lacking}. Add the scopes to the key in PostHog under Settings -> "
        "Personal API keys, or leave those tools out",
    )


def _ingestion(toolkit: PostHogToolkit, report: Report) -> None:
    client = toolkit.client
    if not client.has_project_key:
        report.skip(INGESTION, "POSTHOG_PROJECT_API_KEY is not set, so the capture tools are off")
        return
    if toolkit.read_only:
        report.skip(INGESTION, "--read-only, so the capture tools are off")
        return
    # No key goes with it: the probe reaches the host, it does not test the project key.
    probe = Call("GET", INGESTION_PROBE, host="ingest", text=True)
    try:
        status = client.request(probe).status
    except PostHogAPIError as error:
        status = error.status
    except PostHogError as error:
        report.fail(INGESTION, f"{client.ingest_url}: {error}")
        return
    report.ok(INGESTION, f"{client.ingest_url} (it answered GET {INGESTION_PROBE} with {status})")


def _items(data: Any) -> list[dict[str, Any]]:
    items = data.get("results") if isinstance(data, dict) else data
    return [item for item in items or [] if isinstance(item, dict)]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _one_line(text: str) -> str:
    return " ".join(text.split())
