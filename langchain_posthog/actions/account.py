"""Who the key belongs to, and which projects it can reach."""

from typing import Any

from pydantic import Field

from langchain_posthog.actions._args import ArgsModel, Limit, Offset
from langchain_posthog.actions._render import named, quoted, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, get_row, list_row

PROJECTS = Area("project", "projects", "project", project_scoped=False, text=("name",))
USERS = Area(
    "user",
    "users",
    "user",
    id_field="uuid",
    not_found="Use uuid '@me' for the key's owner.",
    project_scoped=False,
    text=(
        "first_name", "last_name", "email", "distinct_id", "team.name", "organization.name",
        "organization.teams[].name", "organization.projects[].name", "organizations[].name",
    ),
)  # fmt: skip


class ListProjectsArgs(ArgsModel):
    limit: Limit = 100
    offset: Offset = 0


def _project_line(p: dict[str, Any]) -> str:
    facts = [
        said("timezone {}", p.get("timezone") and term(p["timezone"])),
        "" if p.get("ingested_event") else "no events yet",
        "demo" if p.get("is_demo") else "",
    ]
    text = ", ".join(filter(None, facts))
    return f"- {named(p)}" + said(": {}", text)


class GetCurrentUserArgs(ArgsModel):
    uuid: str = Field(
        "@me",
        pattern=r"^(@me|[0-9a-fA-F-]{36})$",
        description="User UUID; '@me' for the key's owner.",
    )


def _user_text(data: Any, args: GetCurrentUserArgs, ctx: Context) -> str:
    name = " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))
    email = said(", email {}", data.get("email") and quoted(data["email"]))
    lines = [f"User: {quoted(name) if name else '(no name)'}{email}"]
    lines[0] += said(" (uuid {})", data.get("uuid"))
    team = data.get("team") or {}
    if team:
        facts = [
            said("id {}", team.get("project_id") or team.get("id")),
            said("timezone {}", team.get("timezone") and term(team["timezone"])),
        ]
        text = ", ".join(filter(None, facts))
        lines.append(f"Current project: {named(team, ident=False)}" + said(" ({})", text))
    org = data.get("organization") or {}
    if org:
        lines.append(f"Current organization: {named(org)}")
    others = [o for o in data.get("organizations") or [] if isinstance(o, dict)]
    if len(others) > 1:
        lines.append("Organizations: " + ", ".join(named(o, ident=False) for o in others))
    return "\n".join(lines)


ACTIONS = [
    list_row(
        PROJECTS,
        "posthog_list_projects",
        "List the PostHog projects the key can access, with their ids. Use it first when the user "
        "names a project.",
        ListProjectsArgs,
        _project_line,
        catalogue="LIST_PROJECTS",
        example={"limit": 100},
    ),
    get_row(
        USERS,
        "posthog_get_current_user",
        "Get the user who owns the API key: name, email, current project and organizations.",
        GetCurrentUserArgs,
        _user_text,
        head="",
        catalogue="RETRIEVE_USER_PROFILE_AND_TEAM_DETAILS",
        example={},
    ),
]
