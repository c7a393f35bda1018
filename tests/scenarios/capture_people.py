"""Event capture, cohort and person scenarios."""

from __future__ import annotations

from tests.scenarios import Scenario, example

PERSON_UUID = "01935c1e-9a1f-7d2e-8b3a-5c0f2e7d1a44"

SCENARIOS = [
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.yaml",
        example("posthog_capture_event"),
        expect=("Captured report_exported for user-42 (uuid ", "accepted", "few seconds"),
        forbid=("[redacted]", "api_key"),
        artifact_keys=("event", "response"),
    ),
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.invalid_key.yaml",
        example("posthog_capture_event"),
        ok=False,
        expect=("401", "project API key", "not_ascii", "POSTHOG_PROJECT_API_KEY"),
        forbid=("POSTHOG_PERSONAL_API_KEY",),
    ),
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.unavailable.yaml",
        {"event": "signed_up", "distinct_id": "user-42", "timestamp": "2026-01-31T10:15:00+00:00"},
        ok=False,
        expect=("503", "transient error, please retry", "try again"),
    ),
    Scenario(
        "posthog_capture_events",
        "posthog_capture_events.yaml",
        {
            "events": [
                {"event": "signed_up", "distinct_id": "user-42"},
                {
                    "event": "invited_teammate",
                    "distinct_id": "user-42",
                    "properties": {"invitee": "user-43"},
                },
                {
                    "event": "signed_up",
                    "distinct_id": "user-43",
                    "timestamp": "2026-01-31T10:16:00Z",
                },
            ]
        },
        expect=("Captured 3 event(s) for 2 distinct id(s)", "signed_up x2", "invited_teammate x1"),
        forbid=("[redacted]",),
        artifact_keys=("batch", "response"),
    ),
    Scenario(
        "posthog_capture_events",
        "posthog_capture_events.too_large.yaml",
        {
            "events": [
                {
                    "event": "page_snapshot",
                    "distinct_id": "user-42",
                    "properties": {"html": "<main>...</main>"},
                }
            ]
        },
        ok=False,
        expect=("413", "maximum event size exceeded", "split the batch"),
    ),
    Scenario(
        "posthog_list_cohorts",
        "posthog_list_cohorts.yaml",
        {"limit": 50},
        expect=(
            "Cohorts 1-3 of 3.",
            '"Pro users at risk" (id 31): dynamic, calculating',
            '"Power users" (id 27): dynamic, 1,204 persons',
            '"Beta testers" (id 12): static, 48 persons',
        ),
        forbid=("null", "created_by", "example.com"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_cohorts",
        "posthog_list_cohorts.forbidden.yaml",
        {"limit": 50},
        ok=False,
        expect=("403", "cohort:read"),
    ),
    Scenario(
        "posthog_create_cohort",
        "posthog_create_cohort.yaml",
        example("posthog_create_cohort"),
        expect=(
            'Created dynamic cohort "Pro users at risk" (id 31)',
            'plan exact ["pro"] and did not perform checkout completed in the last 30 days',
            "asynchronously",
            "https://us.posthog.com/project/2/cohorts/31",
        ),
        artifact_keys=("id", "filters", "is_calculating"),
    ),
    Scenario(
        "posthog_create_cohort",
        "posthog_create_cohort.invalid_query.yaml",
        {
            "name": "Beta testers",
            "is_static": True,
            "query": {"kind": "ActorsQuery", "select": "person_id"},
        },
        ok=False,
        expect=("400", "field 'query'", "Input should be a valid list"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.yaml",
        {"distinct_id": "user-42"},
        expect=(
            f"Person ada@example.com (id 100234, uuid {PERSON_UUID})",
            "Distinct ids: user-42, ",
            "Created 2025-06-01T08:00:00Z; last seen 2026-11-19T17:42:00Z",
            "plan: pro",
            "$geoip_country_name: United Kingdom",
            "more $-properties set by PostHog",
            "https://us.posthog.com/project/2/person/user-42",
        ),
        forbid=("$creator_event_uuid", "$initial_os"),
        artifact_keys=("id", "uuid", "distinct_ids", "properties"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.by_id.yaml",
        {"id": PERSON_UUID},
        expect=("Person ada@example.com (id 100234", "email: user@example.com", "/person/user-42"),
        artifact_keys=("id", "uuid"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.unknown_distinct_id.yaml",
        {"distinct_id": "User-42"},
        ok=False,
        expect=("No person in project 2 has distinct id 'User-42'", "case-sensitive"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "distinct_id"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.yaml",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}},
        expect=(
            "PostHog accepted the change to person ada@example.com: set plan=enterprise",
            "asynchronously",
            "may still show the old values",
        ),
        artifact_keys=("person", "set"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.legacy.yaml",
        {"id": "100234", "set": {"plan": "enterprise", "seats": 25}},
        expect=("person ada@example.com: set plan=enterprise, seats=25", "asynchronously"),
        artifact_keys=("person", "set"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.unset.yaml",
        {"id": 100234, "set": {"plan": "enterprise"}, "unset": ["trial_ends_at"]},
        expect=("set plan=enterprise; unset trial_ends_at", "asynchronously"),
        forbid=("[redacted]",),
        artifact_keys=("person", "event", "response"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.not_found.yaml",
        {"id": 99999, "set": {"plan": "enterprise"}},
        ok=False,
        expect=("404", "project 2", "distinct_id"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.forbidden.yaml",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}},
        ok=False,
        expect=("403", "person:write"),
    ),
]
