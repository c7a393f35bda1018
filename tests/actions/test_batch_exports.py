"""Batch-export destination credentials reach PostHog and nothing else.

Not the content, the artifact, the ToolMessage, an error or validation message, a log record, a
repr, or a cassette. Each destination kind is driven through a MockTransport server that records
what it was sent and answers by echoing every credential back, in the config and in free text."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions._row import args_schema
from langchain_posthog.actions.batch_exports import KINDS, SECRET_FIELDS, CreateBatchExportArgs
from langchain_posthog.api.redaction import SENSITIVE_KEYS
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.scenarios import Scenario, params, play

# Distinctive credentials, which this module and tests/test_secrets.py look for everywhere.
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
        "posthog_create_batch_export",
        "posthog_create_batch_export.yaml",
        S3_EXPORT,
        expect=(
            'Created batch export "Events to S3" (id 0193aa00-0000-7000-8000-000000000001)',
            'S3 "s3://acme-posthog/events/ (eu-west-1)"',
            "events every hour; active",
            "https://us.posthog.com/project/2/pipeline/batch-exports/0193aa00-0000-7000-8000-000000000001",
        ),
        forbid=(AWS_KEY_ID, AWS_SECRET, "aws_", "[redacted]", "**"),
        artifact_keys=("id", "destination", "interval"),
    ),
    Scenario(
        "posthog_create_batch_export",
        "posthog_create_batch_export.catalogue.yaml",
        {
            **S3_EXPORT,
            "destination": {
                "type": "S3",
                "config": {k: v for k, v in S3_EXPORT["destination"].items() if k != "type"},
            },
        },
        expect=(
            'Created batch export "Events to S3"',
            'S3 "s3://acme-posthog/events/ (eu-west-1)"',
        ),
        forbid=(AWS_KEY_ID, AWS_SECRET, "aws_", "[redacted]", "**"),
        artifact_keys=("id", "destination"),
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


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


TOOL = "posthog_create_batch_export"

EXPORT_ID = "0193aa00-0000-7000-8000-000000000002"

# One destination per kind, each credential distinctive enough to be found anywhere.
DESTINATIONS: dict[str, dict[str, Any]] = {
    "S3": S3_EXPORT["destination"],
    "Snowflake": {
        "type": "Snowflake",
        "account": "acme-xy12345",
        "user": "SNOWFLAKE-USER-SECRET-1",
        "password": "SNOWFLAKE-PASSWORD-SECRET-2",
        "database": "ANALYTICS",
        "warehouse": "LOADING",
        "schema": "POSTHOG",
    },
    "Postgres": {
        "type": "Postgres",
        "host": "db.acme.com",
        "port": 6543,
        "database": "analytics",
        "user": "PG-USER-SECRET-3",
        "password": "PG-PASSWORD-SECRET-4",
        "table_name": "ph_events",
    },
    "Redshift": {
        "type": "Redshift",
        "host": "acme.abc123.eu-west-1.redshift.amazonaws.com",
        "database": "dev",
        "user": "RS-USER-SECRET-5",
        "password": "RS-PASSWORD-SECRET-6",
    },
    "BigQuery": {
        "type": "BigQuery",
        "project_id": "acme-analytics",
        "dataset_id": "posthog",
        "client_email": "BQ-EMAIL-SECRET-7@acme-analytics.iam.gserviceaccount.com",
        "private_key": (
            "-----BEGIN PRIVATE KEY-----\nBQ-PRIVATE-KEY-SECRET-8\n-----END PRIVATE KEY-----\n"
        ),
        "private_key_id": "BQ-KEY-ID-SECRET-9",
    },
    "Databricks": {
        "type": "Databricks",
        "integration_id": 31,
        "http_path": "/sql/1.0/warehouses/abc123",
        "catalog": "main",
        "schema": "posthog",
        "table_name": "events",
    },
    "HTTP": {
        "type": "HTTP",
        "region": "eu",
        "token": "phc_HTTPTOKENSECRET000000000000000000000000010",
    },
}

SNOWFLAKE_KEY = "SNOWFLAKE-PRIVATE-KEY-SECRET-11"

SECRETS = (
    AWS_KEY_ID,
    AWS_SECRET,
    SNOWFLAKE_KEY,
    *(
        value
        for destination in DESTINATIONS.values()
        for name, value in destination.items()
        if name in {"user", "password", "client_email", "private_key", "private_key_id", "token"}
    ),
)

# Fields PostHog hides per kind that redaction.py does not know by name (too generic to redact
# everywhere): harmless in answers (PostHog leaves them out, and the batch-export module strips
# them), and the recording hooks in conftest.py blank them in request bodies.
NOT_IN_SENSITIVE_KEYS = {"user", "client_email", "token_uri"}


def credentials_in(text: str) -> list[str]:
    found = [s for s in SECRETS if s in text]
    # A multi-line private key may be escaped in JSON or a repr: look for its distinctive line.
    return found + [s for s in ("BQ-PRIVATE-KEY-SECRET-8",) if s in text and s not in found]


def _export(destination: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"Events to {destination['type']}",
        "interval": "day",
        "destination": destination,
    }


class EchoServer:
    """Answers a create by echoing the request, credentials included, as PostHog never does."""

    def __init__(self, status: int = 201, detail: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.sent.append(body)
        config = body["destination"]["config"]
        if self.status >= 400:
            detail = self.detail or f"could not connect with {json.dumps(config)}"
            return httpx.Response(
                self.status,
                json={
                    "type": "validation_error",
                    "code": "invalid",
                    "detail": detail,
                    "attr": None,
                },
            )
        echoed = {
            **body,
            "id": EXPORT_ID,
            "team_id": PROJECT_ID,
            "paused": False,
            "latest_runs": [{"status": "Failed", "latest_error": f"auth failed for {config}"}],
            "note": " ".join(str(v) for v in config.values()),
        }
        return httpx.Response(201, json=echoed)


@pytest.fixture
def kit_for() -> Iterator[Callable[[EchoServer], PostHogToolkit]]:
    made: list[PostHogToolkit] = []

    def make(server: EchoServer) -> PostHogToolkit:
        kit = PostHogToolkit(
            personal_api_key=PERSONAL_KEY,
            project_id=PROJECT_ID,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(server)),
        )
        made.append(kit)
        return kit

    yield make
    for kit in made:
        kit.close()


def _call(kit: PostHogToolkit, args: dict[str, Any]) -> tuple[ToolMessage, Any]:
    tool = next(t for t in kit.get_tools() if t.name == TOOL)
    message = tool.invoke({"name": TOOL, "args": args, "id": "call-1", "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    return message, tool


def _everything(message: ToolMessage, tool: Any, kit: PostHogToolkit, logs: str) -> list[str]:
    return [
        str(message.content),
        json.dumps(message.artifact, default=str),
        repr(message),
        logs,
        repr(tool),
        repr(kit),
    ]


@pytest.mark.parametrize("kind", list(DESTINATIONS))
def test_every_kind_sends_its_credentials_and_shows_none(
    kind: str, kit_for: Callable[[EchoServer], PostHogToolkit], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="langchain_posthog")
    server = EchoServer()
    kit = kit_for(server)
    destination = DESTINATIONS[kind]
    message, tool = _call(kit, _export(destination))

    assert message.status == "success", message.content
    config = server.sent[0]["destination"]["config"]
    sent_secrets = {k: v for k, v in destination.items() if v in SECRETS}
    assert {k: config[k] for k in sent_secrets} == sent_secrets  # PostHog gets the real values
    assert f"pipeline/batch-exports/{EXPORT_ID}" in str(message.content)
    for text in _everything(message, tool, kit, caplog.text):
        assert not credentials_in(text), text[:600]
    hidden = SECRET_FIELDS.get(kind, frozenset())
    assert not hidden & set(message.artifact["destination"]["config"])


def test_the_body_carries_what_each_kind_needs(
    kit_for: Callable[[EchoServer], PostHogToolkit],
) -> None:
    server = EchoServer()
    kit = kit_for(server)
    for destination in DESTINATIONS.values():
        _call(kit, _export(destination))
    by_type = {b["destination"]["type"]: b["destination"] for b in server.sent}
    assert by_type["Snowflake"]["config"]["authentication_type"] == "password"
    assert by_type["BigQuery"]["config"]["token_uri"] == "https://oauth2.googleapis.com/token"
    assert by_type["HTTP"]["config"]["url"] == "https://eu.i.posthog.com/batch/"
    assert "region" not in by_type["HTTP"]["config"]
    assert by_type["Databricks"]["integration_id"] == 31
    assert "integration_id" not in by_type["Databricks"]["config"]
    assert by_type["Postgres"]["config"]["port"] == 6543


# Config keys PostHog takes (ENDPOINTS.md 3.24) that a model is not shown.
MORE_CONFIG = {
    "S3": {"encryption": "aws:kms", "kms_key_id": "key-1", "max_file_size_mb": 100,
           "use_virtual_style_addressing": True, "exclude_events": ["$feature_flag_called"]},
    "Postgres": {"has_self_signed_cert": True, "include_events": ["$pageview"]},
    "Redshift": {"mode": "COPY", "properties_data_type": "super"},
    "BigQuery": {"use_json_type": True},
    "Databricks": {"use_variant_type": False, "use_automatic_schema_evolution": False},
}  # fmt: skip


def test_posthogs_other_config_keys_are_taken_and_sent(
    kit_for: Callable[[EchoServer], PostHogToolkit],
) -> None:
    server = EchoServer()
    kit = kit_for(server)
    for kind, more in MORE_CONFIG.items():
        message, _ = _call(kit, _export({**DESTINATIONS[kind], **more}))
        assert message.status == "success", message.content
        config = server.sent[-1]["destination"]["config"]
        assert {k: config.get(k) for k in more} == more
    tool = next(t for t in kit.get_tools() if t.name == TOOL)
    assert "kms_key_id" not in str(tool.tool_call_schema.model_json_schema())


def test_a_config_key_of_the_other_sql_destination_is_refused(
    kit_for: Callable[[EchoServer], PostHogToolkit],
) -> None:
    server = EchoServer()
    message, _ = _call(kit_for(server), _export({**DESTINATIONS["Postgres"], "mode": "COPY"}))
    assert message.status == "error"
    assert "mode: not a Postgres setting; leave it out" in str(message.content)
    assert server.sent == []


def test_snowflake_key_pair_auth(kit_for: Callable[[EchoServer], PostHogToolkit]) -> None:
    server = EchoServer()
    snowflake = {k: v for k, v in DESTINATIONS["Snowflake"].items() if k != "password"}
    message, _ = _call(kit_for(server), _export({**snowflake, "private_key": SNOWFLAKE_KEY}))
    assert message.status == "success", message.content
    config = server.sent[0]["destination"]["config"]
    assert config["authentication_type"] == "keypair"
    assert config["private_key"] == SNOWFLAKE_KEY
    assert not credentials_in(str(message.content) + json.dumps(message.artifact))


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (402, "This feature requires a paid plan."),
        (403, "The Data Pipelines addon is required for batch exports."),
        (400, "The Data Pipelines addon is required for batch exports."),
    ],
)
def test_the_paid_add_on_refusal_is_plain_words(
    status: int, detail: str, kit_for: Callable[[EchoServer], PostHogToolkit]
) -> None:
    message, _ = _call(kit_for(EchoServer(status, detail)), S3_EXPORT)
    assert message.status == "error"
    assert "needs the Data Pipelines add-on" in str(message.content)
    assert "retrying will not help" in str(message.content)


def test_an_error_echoing_credentials_is_masked(
    kit_for: Callable[[EchoServer], PostHogToolkit], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="langchain_posthog")
    for destination in DESTINATIONS.values():
        kit = kit_for(EchoServer(status=400))
        message, tool = _call(kit, _export(destination))
        assert message.status == "error"
        assert "PostHog refused the request (400)" in str(message.content)
        for text in _everything(message, tool, kit, caplog.text):
            assert not credentials_in(text), text[:600]
        result = kit.execute(TOOL, _export(destination))
        assert not result.successful and not credentials_in(str(result.error) + repr(result))


def test_a_gateway_error_echoing_credentials_says_to_check_before_retrying(
    kit_for: Callable[[EchoServer], PostHogToolkit],
) -> None:
    # PostHog may have created the export before the 502: the model must look before resending,
    # also when the error's text had a credential to mask.
    kit = kit_for(EchoServer(status=502))
    message, _ = _call(kit, _export(DESTINATIONS["S3"]))
    content = str(message.content)
    assert message.status == "error"
    assert "server error (502)" in content and not credentials_in(content)
    assert "check (get or list the object) before trying again" in content
    assert "try again shortly" not in content


BAD_INPUTS = [
    # A required field missing beside the credentials.
    {
        **S3_EXPORT,
        "destination": {k: v for k, v in S3_EXPORT["destination"].items() if k != "region"},
    },
    # A credential under a field the kind does not take.
    {**S3_EXPORT, "destination": {**S3_EXPORT["destination"], "password": AWS_SECRET}},
    # A credential of the wrong type, and an unknown kind.
    {
        **S3_EXPORT,
        "destination": {**S3_EXPORT["destination"], "aws_secret_access_key": [AWS_SECRET]},
    },
    {**S3_EXPORT, "destination": {**S3_EXPORT["destination"], "type": "S4"}},
    # A model-level rule broken: Snowflake with both password and private key.
    _export({**DESTINATIONS["Snowflake"], "private_key": SNOWFLAKE_KEY}),
    # A top-level field wrong, with valid credentials beside it.
    {**S3_EXPORT, "interval": "hourly"},
    # The whole arguments as a JSON string, as models sometimes send them.
    {**S3_EXPORT, "destination": json.dumps({**S3_EXPORT["destination"], "region": ""})},
]


@pytest.mark.parametrize("args", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_validation_errors_never_quote_a_credential(
    args: dict[str, Any], kit_for: Callable[[EchoServer], PostHogToolkit]
) -> None:
    server = EchoServer()
    kit = kit_for(server)
    message, _ = _call(kit, args)
    assert message.status == "error"
    assert str(message.content).startswith("Invalid arguments, nothing was sent to PostHog")
    assert not credentials_in(str(message.content)) and not credentials_in(repr(message))
    result = kit.execute(TOOL, args)
    assert not result.successful and not credentials_in(str(result.error))
    action = next(a for a in kit.actions() if a.name == TOOL)
    for model in (CreateBatchExportArgs, args_schema(action, bound=False)):
        with pytest.raises(ValidationError) as caught:
            model.model_validate(args)
        assert not credentials_in(str(caught.value)) and not credentials_in(repr(caught.value))
    assert server.sent == []


def test_validated_arguments_hide_credentials_in_reprs_and_dumps() -> None:
    args = CreateBatchExportArgs.model_validate(S3_EXPORT)
    assert not credentials_in(repr(args)) and not credentials_in(str(args))
    assert not credentials_in(json.dumps(args.model_dump(mode="json")))
    assert not credentials_in(args.model_dump_json())


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_create_batch_export.yaml")
def test_the_recorded_s3_export_leaks_nothing(caplog: pytest.LogCaptureFixture, vcr: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="langchain_posthog")
    with PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        project_id=PROJECT_ID,
        max_retries=0,
    ) as kit:
        message, tool = _call(kit, S3_EXPORT)
        assert message.status == "success", message.content
        for text in _everything(message, tool, kit, caplog.text):
            assert not credentials_in(text), text[:600]
    assert vcr.all_played


def test_credential_fields_are_redacted_by_name() -> None:
    """Every field PostHog treats as secret is one redaction.py knows, except the known gap."""
    fields = {name for names in SECRET_FIELDS.values() for name in names}
    for kind in KINDS:
        for name, info in kind.model_fields.items():
            if "SecretStr" in str(info.annotation):
                fields.add(info.alias or name)
    assert fields - SENSITIVE_KEYS <= NOT_IN_SENSITIVE_KEYS
