"""Toolkit settings, tool selection, project binding, direct execution, copies and pickles."""

from __future__ import annotations

import asyncio
import copy
import pickle
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.tools import BaseToolkit

from langchain_posthog import ActionResult, PostHogConfigError, PostHogToolkit
from langchain_posthog.tool import PostHogTool
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.standin import LOOPBACK_ONLY, StandIn, close_toolkit, make_toolkit

pytestmark = LOOPBACK_ONLY


def names(toolkit: PostHogToolkit) -> set[str]:
    return {t.name for t in toolkit.get_tools()}


def test_is_a_langchain_toolkit_and_builds_offline() -> None:
    # Sockets are disabled for this test run: construction and get_tools() must not connect.
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY)
    assert isinstance(toolkit, BaseToolkit)
    tools = toolkit.get_tools()
    assert tools and all(t.name.startswith("posthog_") and len(t.name) <= 64 for t in tools)
    assert len({t.name for t in tools}) == len(tools)


def test_settings_fall_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", PROJECT_KEY)
    monkeypatch.setenv("POSTHOG_HOST", "eu")
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "7")
    toolkit = PostHogToolkit()
    assert toolkit.client.app_url == "https://eu.posthog.com"
    assert toolkit.client.ingest_url == "https://eu.i.posthog.com"
    assert toolkit.bound_project == "7"
    assert toolkit.client.has_personal_key and toolkit.client.has_project_key


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_HOST", "eu")
    monkeypatch.setenv("POSTHOG_INGEST_HOST", "https://capture.example.com")
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, host="https://ph.example.com")
    assert toolkit.client.app_url == "https://ph.example.com"
    assert toolkit.client.ingest_url == "https://capture.example.com"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"personal_api_key": PROJECT_KEY}, "personal_api_key holds a project API key"),
        ({"project_api_key": PERSONAL_KEY}, "project_api_key holds a personal API key"),
        ({"project_id": "my-project"}, "numeric project id"),
        ({"host": "ftp://x"}, "host"),
        ({"include": ["posthog_fly_to_moon"]}, "unknown tools"),
    ],
)
def test_bad_settings_are_refused_with_advice_and_no_key(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(PostHogConfigError, match=message) as caught:
        PostHogToolkit(**settings)
    assert PERSONAL_KEY not in str(caught.value) and PROJECT_KEY not in str(caught.value)


def test_wrong_key_in_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PROJECT_KEY)
    with pytest.raises(PostHogConfigError, match="POSTHOG_PROJECT_API_KEY") as caught:
        PostHogToolkit()
    assert PROJECT_KEY not in str(caught.value)


def test_default_selection_read_and_write_but_not_destructive() -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, project_api_key=PROJECT_KEY)
    scopes = {t.metadata["scope"] for t in toolkit.get_tools()}  # type: ignore[index]
    assert scopes == {"read", "write"}
    assert "posthog_bulk_delete_feature_flags" not in names(toolkit)
    destructive = PostHogToolkit(personal_api_key=PERSONAL_KEY, include_destructive=True)
    assert "posthog_bulk_delete_feature_flags" in names(destructive)


def test_include_and_exclude_take_tool_or_catalogue_names() -> None:
    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        include=["posthog_get_feature_flag", "POSTHOG_CREATE_FEATURE_FLAG", "LIST_PROJECTS"],
    )
    assert names(toolkit) == {
        "posthog_get_feature_flag",
        "posthog_create_feature_flag",
        "posthog_list_projects",
    }
    excluded = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        exclude=["POSTHOG_UPDATE_FEATURE_FLAG", "posthog_list_projects"],
    )
    assert "posthog_update_feature_flag" not in names(excluded)
    assert "posthog_list_projects" not in names(excluded)
    assert "posthog_get_feature_flag" in names(excluded)


def test_metadata_says_scope_and_catalogue_name() -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, include_destructive=True)
    tools = {t.name: t for t in toolkit.get_tools()}
    assert tools["posthog_get_feature_flag"].metadata == {
        "read_only": True,
        "destructive": False,
        "catalogue_action": "POSTHOG_GET_FEATURE_FLAG_DETAILS",
        "scope": "read",
    }
    bulk = tools["posthog_bulk_delete_feature_flags"].metadata
    assert bulk is not None and bulk["destructive"] and not bulk["read_only"]


def test_model_cannot_override_a_bound_project() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(404, json={"type": "invalid_request", "detail": "Not found."})

    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    result = toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": "99"})
    assert not result.successful
    assert f"bound to project {PROJECT_ID}, so project_id 99 cannot be used" in (result.error or "")
    assert seen == []
    # A key pasted as the project is refused without repeating it.
    result = toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": PERSONAL_KEY})
    assert "another project_id cannot be used" in (result.error or "")
    assert PERSONAL_KEY not in (result.error or "")
    assert seen == []
    # The catalogue names the project on every call: the bound one is the same call, and a
    # null project_id is not given.
    toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": str(PROJECT_ID)})
    toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": None})
    assert seen == [f"/api/projects/{PROJECT_ID}/feature_flags/5/"] * 2


def test_unbound_tools_use_the_project_the_model_names() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"id": 5, "key": "k", "active": False})

    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    assert toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": "7"}).successful
    assert toolkit.execute("posthog_get_feature_flag", {"id": 5}).successful
    # posthog_list_projects shows "(id 7)": a model sending the number means the same project.
    tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
    assert '"k"' in tool.invoke({"id": 5, "project_id": 7})
    for wrong in ("../7", True, 7.0, -7):
        bad = toolkit.execute("posthog_get_feature_flag", {"id": 5, "project_id": wrong})
        assert not bad.successful and "project_id" in (bad.error or ""), wrong
    assert seen == [
        "/api/projects/7/feature_flags/5/",
        "/api/projects/@current/feature_flags/5/",
        "/api/projects/7/feature_flags/5/",
    ]


def test_execute_returns_the_catalogue_fields_and_never_raises() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 5, "key": "k", "active": True})

    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    good = toolkit.execute("POSTHOG_GET_FEATURE_FLAG_DETAILS", {"id": 5})
    assert isinstance(good, ActionResult)
    assert (
        good.successful
        and good.error is None
        and good.data == {"id": 5, "key": "k", "active": True}
    )
    assert good.content and '"k" (id 5)' in good.content

    failures: list[tuple[str, Any, str]] = [
        ("posthog_get_feature_flag", {"id": "abc"}, "id:"),
        ("posthog_get_feature_flag", {}, "give exactly one of id or key"),
        ("posthog_nope", {}, "Unknown action"),
        ("posthog_get_feature_flg", {}, "Did you mean 'posthog_get_feature_flag'?"),
        ("POSTHOG_GET_FEATURE_FLAG_DETAIL", {}, "Did you mean 'POSTHOG_GET_FEATURE_FLAG_DETAILS'?"),
        ("posthog_bulk_delete_feature_flags", {"ids": [1]}, "include_destructive=True"),
        # A name that is not text (a graph state's missing key): refused, never raised.
        (None, {"id": 5}, "The action's name is text, such as 'posthog_get_feature_flag', not"),
        # Arguments that are not an object: refused, never raised, never read as no arguments.
        ("posthog_get_feature_flag", 5, "as a dict (or a JSON object's text), not int:"),
        ("posthog_get_feature_flag", [], "not list:"),
        ("posthog_get_feature_flag", "[5]", "not list:"),
        ("posthog_get_feature_flag", "id=5", "not text that is not a JSON object"),
        # The value is never repeated: it may hold a key.
        ("posthog_get_feature_flag", [PERSONAL_KEY], "not list:"),
        ("posthog_get_feature_flag", f'{{"token": "{PERSONAL_KEY}', "not text that is not"),
    ]
    for name, args, expected in failures:
        result = toolkit.execute(name, args)
        assert not result.successful and result.data is None
        assert expected in (result.error or ""), result.error
        assert PERSONAL_KEY[4:12] not in (result.error or "")
    # Tool names are read in any case, as catalogue names are.
    assert toolkit.execute("POSTHOG_GET_FEATURE_FLAG", {"id": 5}).data == good.data
    # A graph node may hold a model's arguments as the JSON text it sent; "null" is none.
    assert toolkit.execute("posthog_get_feature_flag", '{"id": 5}').data == good.data
    assert "give exactly one of id or key" in (
        toolkit.execute("posthog_get_feature_flag", "null").error or ""
    )


def test_unknown_tool_names_in_the_settings_name_the_closest() -> None:
    with pytest.raises(PostHogConfigError, match="Did you mean 'posthog_list_feature_flags'"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, include=["posthog_list_flags"])


def test_aexecute_matches_execute() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"type": "invalid_request", "detail": "Not found."})

    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    result = asyncio.run(toolkit.aexecute("posthog_get_feature_flag", {"id": 9}))
    assert not result.successful
    assert result.error and result.error.startswith("Not found (404) in project 2")


def test_context_managers_close_their_clients() -> None:
    with PostHogToolkit(personal_api_key=PERSONAL_KEY) as toolkit:
        client = toolkit.client._sync_client()
    assert client.is_closed

    async def run() -> httpx.AsyncClient:
        async with PostHogToolkit(personal_api_key=PERSONAL_KEY) as kit:
            made = await kit.client._async_client()
        return made

    assert asyncio.run(run()).is_closed


def test_repr_and_dump_hide_keys() -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, project_api_key=PROJECT_KEY)
    for text in (repr(toolkit), str(toolkit), str(toolkit.model_dump()), repr(toolkit.get_tools())):
        assert PERSONAL_KEY not in text and PROJECT_KEY not in text


@pytest.mark.parametrize(
    ("name", "closest"),
    [("readonly", "read_only"), ("read_onyl", "read_only"), ("includes", "include")],
)
def test_a_misspelt_setting_is_refused_naming_the_closest(name: str, closest: str) -> None:
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, **{name: True})
    message = str(caught.value)
    assert f"no setting {name!r}" in message and f"Did you mean {closest!r}?" in message
    assert PERSONAL_KEY not in message


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"timeout": -1}, "- timeout: Input should be greater than 0"),
        ({"transport": "requests"}, "- transport: Input should be 'httpx' or 'aiohttp'"),
        ({"max_retries": "many"}, "- max_retries: Input should be a valid integer"),
        ({"project_id": 1.5}, "- project_id must be a numeric project id or '@current'"),
        ({"project_id": True}, "project_id must be a numeric project id or '@current', not True"),
        ({"host": "europe"}, "host must be 'us' (PostHog Cloud US), 'eu' (PostHog Cloud EU)"),
        # A value that may be a key is never repeated.
        ({"project_api_key": 12345678901}, "- project_api_key: Input should be a valid string"),
        ({"host": PERSONAL_KEY}, "host holds a PostHog key: keys go in personal_api_key"),
        ({"ingest_host": f"https://{PROJECT_KEY}.example"}, "ingest_host holds a PostHog key"),
    ],
)
def test_a_wrong_setting_is_refused_in_one_line_naming_it(
    settings: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, **settings)
    message = str(caught.value)
    assert expected in message
    assert "errors.pydantic.dev" not in message and "12345678901" not in message
    assert PERSONAL_KEY not in message and PROJECT_KEY not in message
    # One line for the one wrong setting (after the heading, when there is one).
    assert len([line for line in message.splitlines() if line.startswith("- ")]) <= 1
    assert len(message.splitlines()) <= 2


def test_an_unknown_setting_with_no_close_name_lists_the_settings() -> None:
    with pytest.raises(PostHogConfigError, match="no setting 'colour'") as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, colour="blue")
    assert "Did you mean" not in str(caught.value) and "read_only" in str(caught.value)


@pytest.mark.parametrize("setting", ["personal_api_key", "project_api_key", "host", "ingest_host"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_a_blank_setting_is_refused_by_name(setting: str, value: str) -> None:
    with pytest.raises(PostHogConfigError, match=f"^{setting} is blank"):
        PostHogToolkit(**{setting: value})


def test_a_blank_key_given_explicitly_never_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key="")
    message = str(caught.value)
    assert message.startswith("personal_api_key is blank")
    assert "set POSTHOG_PERSONAL_API_KEY" not in message  # it is set: say nothing of the kind


@pytest.mark.parametrize(
    "variable", ["POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_API_KEY", "POSTHOG_HOST"]
)
def test_a_blank_environment_variable_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "  ")
    with pytest.raises(PostHogConfigError, match=f"^{variable} is set but blank"):
        PostHogToolkit()


def test_an_explicit_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_FROMENVIRONMENT000000000000000000000000")
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"uuid": "u", "email": "a@example.com"})

    kit = PostHogToolkit(
        personal_api_key=f"  {PERSONAL_KEY} ",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    assert kit.execute("posthog_get_current_user").successful
    assert seen == [f"Bearer {PERSONAL_KEY}"]


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


def flag_tool(toolkit: PostHogToolkit) -> PostHogTool:
    tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
    assert isinstance(tool, PostHogTool)
    return tool


@pytest.mark.parametrize("called", [False, True], ids=["before-calls", "after-calls"])
async def test_tools_and_toolkits_pickle_and_deep_copy(standin: StandIn, called: bool) -> None:
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    tool.tags = ["flags"]
    try:
        if called:
            assert "(id 7)" in tool.invoke({"id": 7})
            assert "(id 7)" in await tool.ainvoke({"id": 7})
        deep = copy.deepcopy(tool)
        assert deep.client is tool.client  # shares the toolkit's client, locks and all
        kit_copy = copy.deepcopy(kit)
        assert kit_copy.client is kit.client
        assert kit.model_copy(deep=True).client is kit.client
        for other in (deep, flag_tool(kit_copy)):
            assert "(id 7)" in other.invoke({"id": 7})
            assert "(id 7)" in await other.ainvoke({"id": 7})

        unpickled = pickle.loads(pickle.dumps(tool))
        assert unpickled.name == tool.name and unpickled.tags == ["flags"]
        assert unpickled.client is not tool.client  # a process of its own opens its own
        assert "(id 7)" in unpickled.invoke({"id": 7})
        assert "(id 7)" in await unpickled.ainvoke({"id": 7})
        await unpickled.client.aclose()

        kit_unpickled = pickle.loads(pickle.dumps(kit))
        assert kit_unpickled.bound_project == kit.bound_project
        assert kit_unpickled.client.app_url == kit.client.app_url
        result = await kit_unpickled.aexecute("posthog_get_feature_flag", {"id": 7})
        assert result.successful, result.error
        await kit_unpickled.aclose()
    finally:
        await close_toolkit(kit)
