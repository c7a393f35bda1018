"""Dashboard, session replay and batch-export scenarios."""

from __future__ import annotations

from typing import Any

from tests.scenarios import Scenario, example

SESSION_ID = "0193a9f0-1b2c-7d3e-8f40-123456789abc"
# Distinctive credentials: tests/test_batch_exports.py greps every output and cassette for them.
AWS_KEY_ID = "AKIA-TEST-SECRET-123"
AWS_SECRET = "TEST-SECRET-ACCESS-KEY-456"
S3_EXPORT: dict[str, Any] = {
    "name": "Events to S3",
    "interval": "hour",
    "model": "events",
    "destination": {
        "type": "S3",
        "bucket_name": "acme-posthog",
        "region": "eu-west-1",
        "prefix": "events/",
        "aws_access_key_id": AWS_KEY_ID,
        "aws_secret_access_key": AWS_SECRET,
        "file_format": "Parquet",
        "compression": "zstd",
    },
}

SCENARIOS = [
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.yaml",
        example("posthog_create_dashboard"),
        expect=(
            'Created dashboard "Growth" (id 12)',
            "https://us.posthog.com/project/2/dashboard/12",
            "dashboards [12]",
        ),
        forbid=("null", "created_by"),
        artifact_keys=("id", "name", "tiles"),
    ),
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.forbidden.yaml",
        example("posthog_create_dashboard"),
        ok=False,
        expect=("403", "dashboard:write"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.yaml",
        {"id": 12},
        expect=(
            'Dashboard "Growth" (id 12), pinned',
            "Weekly growth numbers",
            "Tags: growth, weekly",
            "Tiles (4):",
            '"Weekly signups" (TrendsQuery, insight 345)',
            '"Pageview to signup conversion" (FunnelsQuery, insight 346)',
            '"Top referrers" (HogQLQuery, insight 347)',
            "text: Numbers refresh every Monday morning.",
            "/project/2/dashboard/12",
        ),
        # The deleted tile, the cached results and PostHog's layout payload stay in the artifact.
        forbid=("Old retention", "layouts", "1804", "null"),
        artifact_keys=("id", "tiles"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "/dashboard/"),
    ),
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
            "Start URL: https://app.acme.com/checkout",
            "Person: ada@example.com (distinct id user-42)",
            "Kept until 2026-12-19",
            f"https://us.posthog.com/project/2/replay/{SESSION_ID}",
        ),
        forbid=("null", "object_storage"),
        artifact_keys=("id", "recording_duration", "start_url"),
    ),
    Scenario(
        "posthog_get_session_recording",
        "posthog_get_session_recording.not_found.yaml",
        {"session_id": "0193a9f0-0000-7000-8000-000000000000"},
        ok=False,
        expect=("404", "expired", "retention", "$session_id"),
    ),
    Scenario(
        "posthog_create_batch_export",
        "posthog_create_batch_export.yaml",
        S3_EXPORT,
        expect=(
            'Created batch export "Events to S3" (id 0193aa00-0000-7000-8000-000000000001)',
            "S3 s3://acme-posthog/events/ (eu-west-1)",
            "events every hour; active",
            "https://us.posthog.com/project/2/pipeline/batch-exports/0193aa00-0000-7000-8000-000000000001",
        ),
        forbid=(AWS_KEY_ID, AWS_SECRET, "aws_", "[redacted]", "**"),
        artifact_keys=("id", "destination", "interval"),
    ),
    Scenario(
        "posthog_create_batch_export",
        "posthog_create_batch_export.addon_required.yaml",
        S3_EXPORT,
        ok=False,
        expect=("needs the Data Pipelines add-on", "retrying will not help"),
        forbid=(AWS_KEY_ID, AWS_SECRET),
    ),
]
