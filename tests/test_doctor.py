"""langchain-posthog check: one verdict a step, from the host to the scopes and ingestion."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_posthog import cli
from langchain_posthog.actions import ACTIONS
from langchain_posthog.doctor import INGESTION_PROBE, KEY_PATH, scope_allows
from tests.conftest import CASSETTES, PERSONAL_KEY, PROJECT_KEY, ROOT
from tests.standin import (
    LOOPBACK_ONLY,
    Fault,
    Received,
    StandIn,
    error,
    fast,
    raw,
    responses,
    serve,
)
from tests.test_cli import KEYS, ME, run, verdicts

# The stand-in tests reach 127.0.0.1 and nothing else; the cassette tests reach nothing.
pytestmark = LOOPBACK_ONLY

PROJECTS = "/api/projects/"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toolkits the command makes wait milliseconds between retries, not seconds."""
    build = cli._toolkit

    def quick(options: Any, **settings: Any) -> Any:
        toolkit = build(options, **settings)
        fast(toolkit)
        return toolkit

    monkeypatch.setattr(cli, "_toolkit", quick)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", PROJECT_KEY)


@pytest.fixture
def personal_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    for server in serve():
        # Capture's readiness route answers a fixed text (rust/capture/src/router.rs).
        server.route("GET", lambda path: path == INGESTION_PROBE, lambda r: (200, "capture"))
        yield server


def free_port() -> int:
    """A port nothing listens on: bound, then closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def no_key_in(request: Received) -> bool:
    text = json.dumps(request.headers) + request.raw_body.decode(errors="replace")
    return not any(key in text for key in KEYS)


@pytest.mark.usefixtures("keys")
def test_check_passes_every_step_on_a_good_setup(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", "--host", standin.url, "--project-id", "2"], capsys)
    assert code == 0 and err == []
    assert list(verdicts(out)) == [
        "ok host reachable",
        "ok key valid",
        "ok project",
        "ok scopes",
        "ok ingestion host reachable",
    ]
    found = verdicts(out)
    assert found["ok key valid"] == "personal API key phx_...0000 of Ada Lovelace"
    assert "Acme web (id 2)" in found["ok project"] and "Acme mobile (id 7)" in found["ok project"]
    offered = len([a for a in ACTIONS if a.scope != "destructive"])
    assert f"allow all {offered} offered tools" in found["ok scopes"]
    assert found["ok ingestion host reachable"].startswith(f"{standin.url} (")
    # Only reads were sent, and the ingestion probe carried no key at all.
    assert {r.method for r in standin.received()} == {"GET"}
    assert [r.path for r in standin.received()] == [ME, KEY_PATH, PROJECTS, INGESTION_PROBE]
    assert no_key_in(standin.received("GET", INGESTION_PROBE)[0])


@pytest.mark.usefixtures("personal_key")
def test_check_resolves_current_project_when_none_is_bound(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", "--host", standin.url], capsys)
    found = verdicts(out)
    assert code == 0
    assert found["ok project"].startswith("@current is Acme web (id 2);")
    assert found["skip ingestion host reachable"].startswith("POSTHOG_PROJECT_API_KEY is not set")


@pytest.mark.usefixtures("keys")
def test_check_names_an_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(["check", "--host", url], capsys)
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"FAIL host reachable: {url}: ")
    assert "/api/users/@me/" in err[0]  # what was asked, and how it failed
    # Every step that needed the host says so, none is left out.
    found = verdicts(out)
    assert list(found) == [
        "skip key valid",
        "skip project",
        "skip scopes",
        "skip ingestion host reachable",
    ]
    assert {found[s] for s in list(found)[:3]} == {f"needs an answer from {url}"}
    # A self-hosted ingestion host is the same one: not tried a second time, but reported.
    assert found["skip ingestion host reachable"] == (
        f"the same host as the app, {url}, did not answer"
    )


def test_check_reports_a_project_key_given_as_the_personal_key(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PROJECT_KEY)
    code, out, err = run(["check", "--host", standin.url], capsys)
    assert code == 1 and out == []
    assert len(err) == 1 and err[0].startswith("FAIL key valid: ")
    assert "the personal key (--personal-api-key or its variable) holds a project API" in err[0]
    assert standin.received() == []  # refused before anything was sent


def test_check_without_a_key_says_where_to_get_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert err == [
        "FAIL key valid: POSTHOG_PERSONAL_API_KEY is not set (nor --personal-api-key): create "
        "a personal API key (phx_...) in PostHog under Settings -> Personal API keys"
    ]
    assert verdicts(out) == {
        "skip host reachable": "not tried: it is asked with the personal API key",
        "skip project": "needs a valid personal API key",
        "skip scopes": "needs a valid personal API key",
        "skip ingestion host reachable": "POSTHOG_PROJECT_API_KEY is not set, so the capture "
        "tools are off",
    }


@pytest.mark.usefixtures("keys")
def test_check_gives_no_region_hint_for_a_self_hosted_401(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTHOG_HOST", standin.url)
    standin.fail(ME, error(401))
    code, out, err = run(["check"], capsys)
    assert "POSTHOG_HOST" not in "".join(err) and "region" not in "".join(err)
    assert code == 1
    assert len(err) == 1 and err[0].startswith("FAIL key valid: ")
    assert f"rejected by {standin.url} (401)" in err[0] and "phx_...0000" in err[0]
    # Steps that need a valid key do not run; the ingestion host, which does not, still does.
    assert list(verdicts(out)) == [
        "ok host reachable",
        "skip project",
        "skip scopes",
        "ok ingestion host reachable",
    ]
    assert [r.path for r in standin.received()] == [ME, INGESTION_PROBE]


@pytest.mark.usefixtures("keys")
def test_check_fails_a_project_that_is_not_one_of_the_keys(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTHOG_HOST", standin.url)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "999")
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert err == [
        "FAIL project: project 999 is not one of the key's projects (Acme web (id 2), Acme "
        "mobile (id 7)); set POSTHOG_PROJECT_ID (or --project-id) to one of them"
    ]
    # The scopes do not depend on the project: they are still checked.
    assert list(verdicts(out)) == [
        "ok host reachable",
        "ok key valid",
        "ok scopes",
        "ok ingestion host reachable",
    ]


@pytest.mark.usefixtures("personal_key")
def test_check_finds_a_project_in_another_organization(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "01900000-0000-7000-8000-0000000000f1"
    found = responses.answer("GET", ME)
    assert found is not None
    user = found.body
    user["organizations"].append({"id": other, "name": "Beta", "slug": "beta"})
    standin.route("GET", lambda path: path == ME, lambda r: (200, user))
    org_projects = f"/api/organizations/{other}/projects/"
    beta = {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [{"id": 40, "name": "Beta app", "organization": other}],
    }
    standin.route("GET", lambda path: path == org_projects, lambda r: (200, beta))
    code, out, err = run(["check", "--host", standin.url, "--project-id", "40"], capsys)
    assert code == 0 and err == []
    assert "Beta app (id 40)" in verdicts(out)["ok project"]
    assert [r.path for r in standin.received()][-1] == org_projects


@pytest.mark.usefixtures("personal_key")
def test_check_pages_through_the_keys_projects_until_it_finds_one(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    def page(request: Received) -> tuple[int, Any]:
        offset = int(dict(request.query)["offset"])
        ids = range(offset, min(offset + 100, 450))
        items = [{"id": 1000 + i, "name": f"P{i}", "organization": "o"} for i in ids]
        return 200, {"count": 450, "next": "more" if offset + 100 < 450 else None, "results": items}

    standin.route("GET", lambda path: path == PROJECTS, page)
    code, out, _ = run(["check", "--host", standin.url, "--project-id", "1250"], capsys)
    assert code == 0 and verdicts(out)["ok project"].startswith("project 1250 is P250;")
    assert "and 290 more" in verdicts(out)["ok project"]  # ten names shown of the 300 read
    offsets = [dict(r.query)["offset"] for r in standin.received("GET", PROJECTS)]
    assert offsets == ["0", "100", "200"]  # no page read past the one it is on


@pytest.mark.usefixtures("personal_key")
def test_check_fails_a_project_outside_the_keys_project_limit(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"id": "k1", "label": "mobile only", "scopes": ["*"], "scoped_teams": [7]}
    standin.route("GET", lambda path: path == KEY_PATH, lambda r: (200, record))
    code, out, err = run(["check", "--host", standin.url, "--project-id", "2"], capsys)
    assert code == 1
    assert err == [
        "FAIL project: project 2 is not one of the key's projects: the key is limited to "
        "projects 7; set POSTHOG_PROJECT_ID to one of them, or add it to the key"
    ]
    code, out, err = run(["check", "--host", standin.url, "--project-id", "7"], capsys)
    assert code == 0 and "limited to (7)" in verdicts(out)["ok project"]


@pytest.mark.usefixtures("personal_key")
def test_check_names_the_tools_a_missing_scope_disables(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    needed = {a.api_scope for a in ACTIONS if a.api_scope and a.scope != "destructive"}
    record = {"id": "k1", "label": "agent", "scopes": sorted(needed - {"session_recording:read"})}
    standin.route("GET", lambda path: path == KEY_PATH, lambda r: (200, record))
    code, out, err = run(["check", "--host", standin.url], capsys)
    assert code == 1 and len(err) == 1
    disabled = ", ".join(a.name for a in ACTIONS if a.api_scope == "session_recording:read")
    assert err[0] == (
        f"FAIL scopes: the key lacks session_recording:read (disables {disabled}). Add the "
        "scopes to the key in PostHog under Settings -> Personal API keys, or leave those "
        "tools out"
    )
    assert "ok project" in verdicts(out)


@pytest.mark.usefixtures("personal_key")
def test_check_counts_a_write_scope_as_reading_too(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    # posthog/permissions.py, APIScopePermission: 'x:read' is satisfied by 'x:write'.
    needed = {a.api_scope for a in ACTIONS if a.api_scope and a.scope != "destructive"}
    writes = {s.replace(":read", ":write") for s in needed}
    record = {"id": "k1", "label": "agent", "scopes": sorted(writes)}
    standin.route("GET", lambda path: path == KEY_PATH, lambda r: (200, record))
    code, out, err = run(["check", "--host", standin.url], capsys)
    assert code == 0 and err == [] and "ok scopes" in verdicts(out)


def test_scope_allows_as_posthog_does() -> None:
    assert scope_allows(["*"], "feature_flag:write")
    assert scope_allows([], "feature_flag:write")  # an old key saved without scopes
    assert scope_allows(["feature_flag:write"], "feature_flag:read")
    assert not scope_allows(["feature_flag:read"], "feature_flag:write")
    assert not scope_allows(["insight:write"], "feature_flag:read")


@pytest.mark.usefixtures("personal_key")
@pytest.mark.parametrize("status", [403, 404])
def test_check_skips_scopes_a_key_may_not_read(
    status: int, standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.fail(KEY_PATH, error(status))
    code, out, err = run(["check", "--host", standin.url], capsys)
    assert code == 0 and err == []
    assert verdicts(out)["skip scopes"].startswith(
        f"could not be checked: PostHog answered {status} to GET {KEY_PATH}"
    )


@pytest.mark.usefixtures("keys")
def test_check_fails_an_unreachable_ingestion_host(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("POSTHOG_INGEST_HOST", ingest)
    code, out, err = run(["check", "--host", standin.url], capsys)
    assert code == 1 and len(err) == 1
    assert err[0].startswith(f"FAIL ingestion host reachable: {ingest}: ")
    assert list(verdicts(out)) == ["ok host reachable", "ok key valid", "ok project", "ok scopes"]


@pytest.mark.usefixtures("keys")
def test_check_counts_any_answer_from_the_ingestion_host(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.fail(INGESTION_PROBE, error(404))  # a self-hosted proxy that does not route it
    code, out, _ = run(["check", "--host", standin.url], capsys)
    assert code == 0
    assert verdicts(out)["ok ingestion host reachable"].endswith(f"GET {INGESTION_PROBE} with 404)")


def test_check_keeps_stderr_to_its_verdicts_while_the_client_retries(standin: StandIn) -> None:
    # Run as a user runs it: with no logging configured, Python prints a library's warnings on
    # stderr. Every attempt is answered 503 at once (Retry-After: 0), and each retry is logged.
    standin.fail_always(Fault("status", 503, retry_after="0", detail="Down for maintenance."))
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    env.update(POSTHOG_PERSONAL_API_KEY=PERSONAL_KEY, POSTHOG_HOST=standin.url)
    done = subprocess.run(
        [sys.executable, "-m", "langchain_posthog", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert len(standin.received("GET", ME)) == 4  # three retries, each one logged
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "FAIL key valid: PostHog had a server error (503) after 4 attempts: Down for "
        "maintenance. It is usually transient; try again shortly."
    ]
    assert list(verdicts(done.stdout.splitlines())) == [
        "ok host reachable",
        "skip project",
        "skip scopes",
        "skip ingestion host reachable",
    ]


@pytest.mark.vcr(
    str(CASSETTES / "posthog_get_current_user.yaml"), str(CASSETTES / "posthog_list_projects.yaml")
)
@pytest.mark.default_cassette("check.yaml")
@pytest.mark.usefixtures("personal_key", "vcr")
def test_check_on_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check"], capsys)
    assert code == 0 and err == []
    found = verdicts(out)
    assert found["ok host reachable"] == "https://us.posthog.com"
    assert found["ok scopes"].startswith("the key's scopes (*) allow all ")


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_get_current_user.unauthorized.yaml")
@pytest.mark.usefixtures("personal_key", "vcr")
def test_check_on_cloud_names_the_other_region_after_a_401(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["check"], capsys)
    assert code == 1
    assert err == [
        "FAIL key valid: the personal API key phx_...0000 was rejected by https://us.posthog.com "
        "(401): check the key; if it was made in PostHog's EU region, set POSTHOG_HOST=eu"
    ]


@pytest.mark.vcr(
    str(CASSETTES / "posthog_get_current_user.yaml"), str(CASSETTES / "posthog_list_projects.yaml")
)
@pytest.mark.default_cassette("check.read_only_key.yaml")
@pytest.mark.usefixtures("personal_key", "vcr")
def test_check_a_read_only_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check"], capsys)
    assert code == 1 and len(err) == 1
    assert err[0].startswith("FAIL scopes: the key lacks feature_flag:write (disables ")
    assert "posthog_create_feature_flag" in err[0] and "posthog_get_feature_flag" not in err[0]
    code, out, err = run(["check", "--read-only"], capsys)
    assert code == 0 and err == []
    assert verdicts(out)["skip ingestion host reachable"].startswith("POSTHOG_PROJECT_API_KEY")


@pytest.mark.usefixtures("keys")
def test_check_says_a_host_answering_404_for_the_user_is_not_posthog(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As any web server answers a path it does not serve: PostHog never answers 404 here.
    monkeypatch.setenv("POSTHOG_HOST", standin.url)
    standin.fail(ME, raw(404, b"", "text/plain"))
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"FAIL host reachable: {standin.url} answered 404")
    assert "not PostHog's API at this address" in err[0] and "POSTHOG_HOST" in err[0]
    found = verdicts(out)
    assert list(found) == [
        "skip key valid",
        "skip project",
        "skip scopes",
        "ok ingestion host reachable",
    ]
    for step in ("skip key valid", "skip project", "skip scopes"):
        assert found[step] == f"needs PostHog's API at {standin.url}"
