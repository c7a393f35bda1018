"""Every call written against the catalogue this toolkit replaces works, parameter by parameter.

``tests/contract/catalogue.json`` holds the catalogue's own definitions (names, parameters,
types, required). For every action and every documented parameter, a call using it (a realistic
value of the documented type and shape, objects as the JSON strings the catalogue types them as
where it does) goes through ``execute`` under the catalogue's name against the stand-in. Each is
honoured (sent, and every request it made validates against PostHog's spec) or answered with a
specific reason; never refused as an unknown argument.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from tests.conftest import PROJECT_ID, PROJECT_KEY
from tests.contract import check
from tests.standin import LOOPBACK_ONLY, StandIn, close_toolkit, make_toolkit, serve

CATALOGUE = json.loads((Path(__file__).parents[1] / "contract" / "catalogue.json").read_text())
PROJECT = str(PROJECT_ID)
STANDIN_URL = "<the stand-in's URL>"
RECORDING = "0190e0f2-7c3a-7d5e-b1a4-3f2c9d8e6a10"
SURVEY = "0190e0f2-7c3a-7d5e-b1a4-3f2c9d8e6a11"
PERSON = "0190e0f2-7c3a-7d5e-b1a4-3f2c9d8e6a12"
VARIANTS = {
    "feature_flag_variants": [
        {"key": "control", "rollout_percentage": 50},
        {"key": "test", "rollout_percentage": 50},
    ],
    "minimum_detectable_effect": 20,
}
S3 = {
    "type": "S3",
    "config": {
        "bucket_name": "exports",
        "region": "us-east-1",
        "prefix": "posthog/",
        "aws_access_key_id": "AKIAEXAMPLEKEY00",
        "aws_secret_access_key": "example-secret-access-key-0000",
    },
}
FLAG_FILTERS = {"groups": [{"properties": [], "rollout_percentage": 30}]}
FUNNEL_STEPS = [
    {"id": "$pageview", "type": "events", "order": 0},
    {"id": "signed up", "type": "events", "order": 1},
]
COHORT_GROUPS = [
    {"properties": [{"key": "email", "type": "person", "operator": "icontains", "value": "@"}]}
]
COHORT_FILTERS = {
    "properties": {
        "type": "OR",
        "values": [
            {
                "type": "AND",
                "values": [
                    {"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}
                ],
            }
        ],
    }
}
pytestmark = LOOPBACK_ONLY
TRENDS = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]}

# Per action: the smallest call the catalogue documents (its required parameters, and what the
# toolkit needs besides), and a realistic value for each parameter, in the catalogue's shape.
BASE: dict[str, dict[str, Any]] = {
    "CAPTURE_EVENT": {"event": "lesson_started", "distinct_id": "user-1"},
    "CREATE_FEATURE_FLAG": {"key": "new-checkout"},
    "GET_FEATURE_FLAG_DETAILS": {"id": 12},
    "UPDATE_FEATURE_FLAG": {"id": 12, "key": "new-checkout", "name": "New checkout"},
    "BULK_DELETE_FEATURE_FLAGS": {"ids": [12]},
    "CREATE_CUSTOM_PROJECT_INSIGHTS": {"name": "Pageviews", "query": json.dumps(TRENDS)},
    "RETRIEVE_PROJECT_TREND_INSIGHTS": {},
    "GET_FUNNEL_INSIGHTS_IN_PROJECT": {"events": FUNNEL_STEPS},
    "CREATE_PROJECT_EXPERIMENT": {"name": "Pricing v2", "feature_flag_key": "pricing-v2"},
    "GET_EXPERIMENT_DETAILS": {"id": 77},
    "UPDATE_EXPERIMENT": {"id": 77, "feature_flag_key": "pricing-page-v2", "name": "Renamed"},
    "CREATE_PROJECT_COHORT": {"name": "Emails", "groups": json.dumps(COHORT_GROUPS)},
    "RETRIEVE_PROJECT_COHORTS_WITH_PAGINATION": {},
    "RETRIEVE_PERSON_DETAILS_BY_ID": {"id": PERSON},
    "UPDATE_PERSON_PROPERTIES": {"id": PERSON, "properties": json.dumps({"plan": "pro"})},
    "CREATE_PROJECT_SURVEY": {
        "name": "NPS",
        "type": "popover",
        "questions": json.dumps([{"type": "open", "question": "What could be better?"}]),
    },
    "RETRIEVE_SURVEY_DETAILS_WITH_UUID_AND_PROJECT_ID": {"id": SURVEY},
    "RETRIEVE_SURVEY_RESPONSES_COUNT_BY_PROJECT_ID": {},
    "SUMMARIZE_SURVEY_RESPONSES": {"id": SURVEY, "question_index": 0},
    "CREATE_PROJECT_DASHBOARD": {"name": "Growth"},
    "RETRIEVE_SPECIFIC_PROJECT_DASHBOARD_DETAILS": {"id": 5},
    "CREATE_SESSION_RECORDING_PLAYLIST": {"name": "Checkout", "type": "collection"},
    "RETRIEVE_SESSION_RECORDING_DETAILS": {"id": RECORDING},
    "CREATE_BATCH_EXPORT": {"name": "To S3", "interval": "day", "destination": S3},
    "RETRIEVE_USER_PROFILE_AND_TEAM_DETAILS": {"uuid": "@me"},
}
VALUES: dict[str, Any] = {
    "project_id": PROJECT,
    "name": "Renamed",
    "description": "What it is for.",
    "tags": ["growth"],
    "active": True,
    "deleted": False,
    "saved": True,
    "favorited": True,
    "pinned": True,
    "archived": False,
    "is_static": False,
    "ensure_experience_continuity": False,
    "filter_test_accounts": True,
    "format": "json",
    "limit": 10,
    "offset": 0,
    "date_from": "-30d",
    "date_to": "2026-11-30",
    "start_date": "2026-12-01T00:00:00Z",
    "end_date": "2026-12-31T00:00:00Z",
    "start_at": "2026-12-01T00:00:00Z",
    "end_at": "2026-12-31T00:00:00Z",
    "timestamp": "2026-11-20T10:00:00Z",
    "properties": {"lesson_id": "42"},
    "timezone": "UTC",
    "funnel_window_interval": 7,
    "funnel_window_interval_type": "day",
    "rollout_percentage": 30,
    "filters": FLAG_FILTERS,
    "is_simple_flag": True,
    "model": "events",
    "paused": True,
    "hogql_query": "SELECT event, timestamp FROM events",
    "schema": {"fields": [{"expression": "event", "alias": "event"}]},
    "responses_limit": 100,
    "linked_flag_id": 12,
    "targeting_flag_id": 12,
    "appearance": json.dumps({"backgroundColor": "#ffffff"}),
    "conditions": json.dumps({"url": "/pricing", "urlMatchType": "icontains"}),
    "use_template": "Product analytics",
    "use_dashboard": 5,
    "restriction_level": 21,
    "short_id": "Ab3dE5gH",
    "api_key": PROJECT_KEY,  # the toolkit's own; another is refused (below)
    "ingest_host": STANDIN_URL,  # likewise
}
OVERRIDES: dict[tuple[str, str], Any] = {
    ("BULK_DELETE_FEATURE_FLAGS", "filters"): {"search": "old-"},
    ("GET_FUNNEL_INSIGHTS_IN_PROJECT", "actions"): [
        {"id": 3, "type": "actions", "order": 0},
        {"id": 4, "type": "actions", "order": 1},
    ],
    ("CREATE_PROJECT_EXPERIMENT", "parameters"): json.dumps(VARIANTS),
    ("CREATE_PROJECT_EXPERIMENT", "filters"): json.dumps({"events": [], "insight": "FUNNELS"}),
    ("CREATE_PROJECT_EXPERIMENT", "secondary_metrics"): json.dumps(
        [{"name": "Upgrades", "filters": {"events": [{"id": "upgraded", "order": 0}]}}]
    ),
    ("UPDATE_EXPERIMENT", "parameters"): json.dumps(VARIANTS),
    ("UPDATE_EXPERIMENT", "secondary_metrics"): json.dumps(
        [{"name": "Upgrades", "events": ["upgraded"]}]
    ),
    ("UPDATE_EXPERIMENT", "exposure_cohort"): 9,
    ("CREATE_PROJECT_COHORT", "filters"): json.dumps(COHORT_FILTERS),
    ("CREATE_PROJECT_COHORT", "query"): json.dumps({"kind": "ActorsQuery", "select": ["id"]}),
    ("UPDATE_PERSON_PROPERTIES", "name"): "Ann Example",
    ("UPDATE_PERSON_PROPERTIES", "uuid"): PERSON,
    ("UPDATE_PERSON_PROPERTIES", "distinct_ids"): ["user-1"],
    ("CREATE_PROJECT_DASHBOARD", "filters"): json.dumps({"date_from": "-7d"}),
    ("CREATE_SESSION_RECORDING_PLAYLIST", "filters"): json.dumps({"date_from": "-7d"}),
    ("CREATE_BATCH_EXPORT", "filters"): [{"key": "$browser", "value": "Chrome"}],
    ("CREATE_CUSTOM_PROJECT_INSIGHTS", "query"): json.dumps(TRENDS),
}
# Parameters that need another beside them to make sense (a static cohort's query), and the
# parameters whose value cannot work against PostHog with the reason the caller gets.
ALONGSIDE: dict[tuple[str, str], dict[str, Any]] = {
    ("CREATE_PROJECT_COHORT", "query"): {"is_static": True, "groups": None},
    ("CREATE_PROJECT_COHORT", "filters"): {"groups": None},
    ("CREATE_SESSION_RECORDING_PLAYLIST", "filters"): {"type": "filters"},
    ("CREATE_FEATURE_FLAG", "rollout_percentage"): {"filters": None},
    ("UPDATE_FEATURE_FLAG", "rollout_percentage"): {"filters": None},
    ("GET_FUNNEL_INSIGHTS_IN_PROJECT", "actions"): {"events": None},
    ("CREATE_PROJECT_DASHBOARD", "use_dashboard"): {"use_template": None},
    ("BULK_DELETE_FEATURE_FLAGS", "filters"): {"ids": None},
}
# Parameters whose value is not sent as given: settings checked and dropped, harmless values
# dropped, JSON strings sent as what they encode, and values PostHog takes in another form.
NOT_ECHOED: set[Any] = {
    *("api_key", "ingest_host", "format", "timezone", "query", "parameters", "uuid"),
    ("UPDATE_EXPERIMENT", "feature_flag_key"),  # checked against the experiment's own flag
}
EXPLAINED: dict[tuple[str, str], str] = {
    ("UPDATE_EXPERIMENT", "exposure_cohort"): "PostHog creates an experiment's exposure cohort",
    ("UPDATE_PERSON_PROPERTIES", "distinct_ids"): "come from the events sent for it",
    ("CREATE_PROJECT_DASHBOARD", "filters"): "PostHog does not take filters when a dashboard",
    ("CREATE_CUSTOM_PROJECT_INSIGHTS", "timezone"): "computed in its project's timezone",
}


def _actions() -> list[dict[str, Any]]:
    return list(CATALOGUE["actions"])


def _cases() -> Iterator[Any]:
    for action in _actions():
        short = action["name"].removeprefix("POSTHOG_")
        for param in action["parameters"]["properties"]:
            yield pytest.param(short, param, id=f"{short}.{param}")


def _call(short: str, param: str) -> dict[str, Any]:
    args = {"project_id": PROJECT, **BASE[short]}
    if short == "RETRIEVE_USER_PROFILE_AND_TEAM_DETAILS":
        args.pop("project_id")
    value = OVERRIDES.get((short, param), VALUES.get(param, BASE[short].get(param)))
    args[param] = value
    for name, extra in ALONGSIDE.get((short, param), {}).items():
        if extra is None:
            args.pop(name, None)
        else:
            args[name] = extra
    return args


@pytest.fixture
def standin() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture
def toolkit(standin: StandIn) -> Iterator[PostHogToolkit]:
    kit = make_toolkit(standin)
    yield kit
    asyncio.run(close_toolkit(kit))


def test_every_catalogue_action_and_parameter_is_covered() -> None:
    names = {a["name"].removeprefix("POSTHOG_") for a in _actions()}
    assert len(names) == 25
    assert names == set(BASE)
    for action in _actions():
        short = action["name"].removeprefix("POSTHOG_")
        for param in action["parameters"]["properties"]:
            assert (short, param) in OVERRIDES or param in VALUES or param in BASE[short], param


@pytest.mark.parametrize(("short", "param"), list(_cases()))
def test_a_catalogue_call_using_each_parameter_works(
    standin: StandIn, toolkit: PostHogToolkit, short: str, param: str
) -> None:
    standin.reset()
    args = {k: standin.url if v == STANDIN_URL else v for k, v in _call(short, param).items()}
    result = toolkit.execute(f"POSTHOG_{short}", args)
    reason = EXPLAINED.get((short, param))
    if reason is not None:
        assert not result.successful and result.error is not None
        assert reason in result.error, result.error
        assert "unknown argument" not in result.error
        return
    assert result.successful, f"{short} {args}: {result.error}"
    sent = standin.received()
    assert sent, "nothing was sent"
    problems = [p for r in sent for p in check(r.interaction())]
    assert not problems, problems
    value = args[param]
    structured = isinstance(value, str) and value.lstrip()[:1] in ("{", "[")  # checked below
    echoed = not ({param, (short, param)} & NOT_ECHOED or structured or isinstance(value, bool))
    if echoed and isinstance(value, str | int):
        # Honoured: the value itself reaches PostHog (in the path, the query or the body).
        wire = " ".join(f"{r.raw_path} {r.query} {r.raw_body.decode()}" for r in sent)
        assert str(value) in wire or json.dumps(value)[1:-1] in wire, (param, value, wire)


@pytest.mark.parametrize("short", sorted(BASE))
def test_each_catalogue_action_works_by_every_name_sync_and_async(
    standin: StandIn, toolkit: PostHogToolkit, short: str
) -> None:
    args = _call(short, "project_id")
    for name in (f"POSTHOG_{short}", f"posthog_{short.lower()}"):
        assert toolkit.execute(name, args).successful, name
        assert asyncio.run(toolkit.aexecute(name, args)).successful, name


@pytest.mark.parametrize("short", sorted(BASE))
def test_each_catalogue_call_works_as_a_tool_call(standin: StandIn, short: str) -> None:
    kit = make_toolkit(standin, project_id=None)
    try:
        action = next(a for a in ACTIONS if a.catalogue == short)
        tool = next(t for t in kit.get_tools() if t.name == action.name)
        args = {k: standin.url if v == STANDIN_URL else v for k, v in _call(short, "x").items()}
        args.pop("x", None)
        if not action.project_scoped:
            args.pop("project_id", None)  # capture and the user profile take none
        message = tool.invoke({"name": tool.name, "args": args, "id": "1", "type": "tool_call"})
        assert message.status == "success", message.content
    finally:
        asyncio.run(close_toolkit(kit))


# -- what the six actions that refused catalogue calls now send -----------------------------------


def _bodies(standin: StandIn, method: str) -> list[Any]:
    return [r.body for r in standin.received(method)]


def test_funnel_steps_as_objects_are_sent_in_their_order(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    steps = list(reversed(FUNNEL_STEPS))  # the order field decides, not the list's order
    result = toolkit.execute("POSTHOG_GET_FUNNEL_INSIGHTS_IN_PROJECT", {"events": steps})
    assert result.successful, result.error
    (body,) = _bodies(standin, "POST")
    series = body["query"]["series"]
    assert [s["event"] for s in series] == ["$pageview", "signed up"]


def test_an_update_naming_the_experiments_own_flag_is_accepted_and_another_is_explained(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    same = {"id": 77, "feature_flag_key": "pricing-page-v2", "parameters": json.dumps(VARIANTS)}
    assert toolkit.execute("POSTHOG_UPDATE_EXPERIMENT", same).successful
    (patch,) = _bodies(standin, "PATCH")
    assert patch["parameters"]["feature_flag_variants"] == VARIANTS["feature_flag_variants"]
    assert patch["parameters"]["minimum_detectable_effect"] == 20
    assert "feature_flag_key" not in patch
    standin.reset()
    other = {"id": 77, "feature_flag_key": "another-flag", "name": "x"}
    result = toolkit.execute("POSTHOG_UPDATE_EXPERIMENT", other)
    assert not result.successful and result.error is not None
    assert "cannot move an experiment to another flag" in result.error
    assert not standin.received("PATCH")


def test_cohort_groups_and_filters_in_posthogs_forms_send_posthogs_filters(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    for args in ({"groups": json.dumps(COHORT_GROUPS)}, {"filters": json.dumps(COHORT_FILTERS)}):
        standin.reset()
        result = toolkit.execute("POSTHOG_CREATE_PROJECT_COHORT", {"name": "c", **args})
        assert result.successful, result.error
        (body,) = _bodies(standin, "POST")
        (group,) = body["filters"]["properties"]["values"]
        (condition,) = group["values"]
        assert condition["type"] == "person" and condition["key"] in {"email", "plan"}


def test_person_properties_name_and_uuid_are_sent_as_a_properties_patch(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    args = {"id": PERSON, "uuid": PERSON, "properties": '{"plan": "pro"}', "name": "Ann"}
    result = toolkit.execute("POSTHOG_UPDATE_PERSON_PROPERTIES", args)
    assert result.successful, result.error
    (patch,) = standin.received("PATCH")
    assert patch.segments[-1] == PERSON
    assert patch.body == {"properties": {"plan": "pro", "name": "Ann"}}


def test_a_recording_by_the_catalogues_id_reads_that_recording(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    result = toolkit.execute("POSTHOG_RETRIEVE_SESSION_RECORDING_DETAILS", {"id": RECORDING})
    assert result.successful, result.error
    assert RECORDING in standin.received("GET")[0].segments


def test_a_batch_export_in_posthogs_form_sends_its_config_schema_and_filters(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    args = {**BASE["CREATE_BATCH_EXPORT"], **{k: VALUES[k] for k in ("schema", "timezone")}}
    args["filters"] = OVERRIDES[("CREATE_BATCH_EXPORT", "filters")]
    result = toolkit.execute("POSTHOG_CREATE_BATCH_EXPORT", args)
    assert result.successful, result.error
    (body,) = _bodies(standin, "POST")
    assert body["destination"] == S3
    assert body["hogql_query"] == "SELECT event AS event FROM events"
    assert body["filters"] == [
        {"type": "event", "key": "$browser", "operator": "exact", "value": "Chrome"}
    ]


def test_a_catalogue_key_or_host_other_than_the_toolkits_is_refused_without_echoing_it(
    standin: StandIn, toolkit: PostHogToolkit
) -> None:
    other_key = "phc_" + "q" * 43
    base = BASE["CAPTURE_EVENT"]
    for extra in ({"api_key": other_key}, {"ingest_host": "https://eu.i.posthog.com"}):
        result = toolkit.execute("POSTHOG_CAPTURE_EVENT", {**base, **extra})
        assert not result.successful and result.error is not None
        assert "settings" in result.error and other_key not in result.error
    assert not standin.received()


@pytest.mark.parametrize(
    ("short", "extra", "reason"),
    [
        ("CREATE_FEATURE_FLAG", {"deleted": True}, "cannot be created deleted"),
        ("UPDATE_FEATURE_FLAG", {"deleted": True}, "posthog_bulk_delete_feature_flags"),
        ("CREATE_CUSTOM_PROJECT_INSIGHTS", {"format": "csv"}, "not a table"),
        ("CREATE_PROJECT_COHORT", {"deleted": True}, "cannot be created deleted"),
        ("RETRIEVE_PERSON_DETAILS_BY_ID", {"format": "csv"}, "no CSV form"),
        ("CREATE_PROJECT_DASHBOARD", {"deleted": True}, "cannot be created deleted"),
        ("CREATE_SESSION_RECORDING_PLAYLIST", {"deleted": True}, "cannot be created deleted"),
        ("CREATE_BATCH_EXPORT", {"timezone": "America/New_York"}, "UTC intervals"),
    ],
)
def test_a_catalogue_value_posthog_cannot_honour_is_explained(
    standin: StandIn, toolkit: PostHogToolkit, short: str, extra: dict[str, Any], reason: str
) -> None:
    result = toolkit.execute(f"POSTHOG_{short}", {**BASE[short], **extra})
    assert not result.successful and result.error is not None
    assert reason in result.error and "unknown argument" not in result.error
    assert not standin.received()


def test_the_readme_says_what_happens_to_every_catalogue_parameter() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("<!-- catalogue:start -->")[1].split("<!-- catalogue:end -->")[0]
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines()[3:] if line}
    for action in _actions():
        row = rows[action["name"]]
        tool = next(a.name for a in ACTIONS if a.catalogue == action["name"][8:])
        assert f"`{tool}`" in row
        for param in action["parameters"]["properties"]:
            assert re.search(rf"\b{param}\b", row.split("|")[3]), (action["name"], param)
