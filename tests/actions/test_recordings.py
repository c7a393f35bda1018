"""Session replay: the recorded scenarios, and a recording's person."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenarios import Scenario, example, params, play

SESSION_ID = "0193a9f0-1b2c-7d3e-8f40-123456789abc"

SCENARIOS = [
    Scenario(
        "posthog_create_recording_playlist",
        "posthog_create_recording_playlist.yaml",
        example("posthog_create_recording_playlist"),
        expect=(
            '"Long checkout sessions" (short_id Xy12AbCd, type filters)',
            "Recordings: 14",
            "https://us.posthog.com/project/2/replay/playlists/Xy12AbCd",
        ),
        artifact_keys=("short_id", "filters", "recordings_counts"),
    ),
    Scenario(
        "posthog_create_recording_playlist",
        "posthog_create_recording_playlist.forbidden.yaml",
        {"name": "Bugs to review", "type": "collection"},
        ok=False,
        expect=("403", "session_recording_playlist:write"),
    ),
    Scenario(
        "posthog_get_session_recording",
        "posthog_get_session_recording.yaml",
        {"session_id": SESSION_ID},
        expect=(
            "6m 52s (4m 20s active)",
            "37 clicks, 120 keypresses, 2 console errors",
            "From 2026-11-19T17:30:00Z to 2026-11-19T17:36:52Z",
            'Start URL: "https://app.acme.com/checkout"',
            'Person: "ada@example.com" (distinct id "user-42")',
            "Kept until 2026-12-19",
            f"https://us.posthog.com/project/2/replay/{SESSION_ID}",
        ),
        forbid=("null", "object_storage"),
        artifact_keys=("id", "recording_duration", "start_url"),
    ),
    Scenario(
        "posthog_get_session_recording",
        "posthog_get_session_recording.catalogue.yaml",
        {"id": SESSION_ID},
        expect=("6m 52s (4m 20s active)", 'Person: "ada@example.com" (distinct id "user-42")'),
        artifact_keys=("id", "recording_duration"),
    ),
    Scenario(
        "posthog_get_session_recording",
        "posthog_get_session_recording.not_found.yaml",
        {"session_id": "0193a9f0-0000-7000-8000-000000000000"},
        ok=False,
        expect=("404", "expired", "retention", "$session_id"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


def test_recording_names_the_person() -> None:
    # Kept here because no cassette can: PostHog's schema types person.distinct_ids as a string.
    from langchain_posthog.actions._row import Context
    from langchain_posthog.actions.recordings import GetSessionRecordingArgs, _render_recording

    session = "0193a9f0-1b2c-7d3e-8f40-123456789abc"
    data = {
        "recording_duration": 3725,
        "distinct_id": "user-42",
        "ongoing": True,
        "person": {"name": "ada@example.com", "distinct_ids": ["user-42"]},
    }
    args = GetSessionRecordingArgs.model_validate({"session_id": session})
    text = _render_recording(data, args, Context(project_id="2", app_url="https://eu.posthog.com"))
    assert "1h 2m, still ongoing" in text
    assert 'Person: "ada@example.com" (distinct id "user-42")' in text
    assert f"https://eu.posthog.com/project/2/replay/{session}" in text
