"""Batch-export destinations: each kind's arguments, its credentials kept secret.

Credentials are ``SecretStr``: hidden in reprs and dumps, revealed only in the dump made with
``REVEAL`` in its context, which builds the request body. The models hide their input in
validation errors, since it may hold a credential.
"""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, text_max

REVEAL = "reveal_secrets"


def _serialize_secret(value: SecretStr, info: SerializationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return value.get_secret_value() if context.get(REVEAL) else str(value)


# A credential: masked in repr and in any dump, except the one that builds the request body.
Secret = Annotated[
    SecretStr,
    PlainSerializer(_serialize_secret, return_type=str),
    WithJsonSchema({"type": "string"}),
]
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# Compressions PostHog's S3 export accepts per file format (SUPPORTED_COMPRESSIONS).
S3_COMPRESSIONS = {
    "JSONLines": {"gzip", "brotli"},
    "Parquet": {"zstd", "lz4", "snappy", "gzip", "brotli"},
}


class Private(ArgsModel):
    # A validation error must never quote the input: it may hold a credential.
    model_config = ConfigDict(hide_input_in_errors=True)


# Config keys PostHog takes (ENDPOINTS.md 3.24) beyond those a model is shown: taken from callers
# who know them (the catalogue's), not advertised, so the destination's words stay short. Values
# that PostHog checks itself (an encryption's name) are passed as given.
Events = SkipJsonSchema[list[Annotated[str, text_max(400)]] | None]
Flag = SkipJsonSchema[bool | None]
Word = SkipJsonSchema[Annotated[str, Field(pattern=r"^[A-Za-z0-9:_-]{1,40}$")] | None]


class _Destination(Private):
    exclude_events: Events = None  # every destination takes these two
    include_events: Events = None


def _filled(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


# Non-empty text, without a minLength for the model to read on every field.
Text = Annotated[str, AfterValidator(_filled)]


class S3Destination(_Destination):
    type: Literal["S3"]
    bucket_name: Text
    region: Text
    prefix: str
    # Optional in PostHog's schema, but without them a Cloud export cannot reach the bucket.
    aws_access_key_id: Secret
    aws_secret_access_key: Secret
    file_format: Literal["JSONLines", "Parquet"] | None = None
    compression: Literal["gzip", "brotli", "zstd", "lz4", "snappy"] | None = None
    endpoint_url: str | None = Field(None, description="S3-compatible stores")
    encryption: Word = None
    kms_key_id: SkipJsonSchema[Annotated[str, text_max(2048)] | None] = None
    max_file_size_mb: SkipJsonSchema[Annotated[int, Field(ge=1)] | None] = None
    use_virtual_style_addressing: Flag = None

    @model_validator(mode="after")
    def _compression_fits(self) -> Self:
        file_format = self.file_format or "JSONLines"
        if self.compression and self.compression not in S3_COMPRESSIONS[file_format]:
            allowed = ", ".join(sorted(S3_COMPRESSIONS[file_format]))
            raise ValueError(f"{file_format} files take compression {allowed}")
        return self


class SnowflakeDestination(_Destination):
    one_of = (
        "password",
        "private_key",
        "give password or private_key (key-pair auth), exactly one",
    )
    type: Literal["Snowflake"]
    account: Text
    user: Secret
    password: Secret | None = Field(None, description="or private_key for key-pair auth")
    private_key: Secret | None = None
    database: Text
    warehouse: Text
    schema_: Text = Field(alias="schema")
    table_name: str | None = None
    role: str | None = None


# What the other SQL destination takes and this one does not.
_NOT_FOR = {"Postgres": ("properties_data_type", "mode"), "Redshift": ("has_self_signed_cert",)}


class SqlDestination(_Destination):
    type: Literal["Postgres", "Redshift"]
    host: Text
    port: int | None = Field(None, ge=1, le=65535)
    database: Text
    user: Secret
    password: Secret
    schema_: str | None = Field(None, alias="schema")
    table_name: str | None = None
    has_self_signed_cert: Flag = None  # Postgres
    properties_data_type: Word = None  # Redshift
    mode: SkipJsonSchema[Literal["INSERT", "COPY"] | None] = None  # Redshift

    @model_validator(mode="after")
    def _fields_of_its_type(self) -> Self:
        wrong = [name for name in _NOT_FOR[self.type] if getattr(self, name) is not None]
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: not a {self.type} setting; leave it out")
        return self


class BigQueryDestination(_Destination):
    type: Literal["BigQuery"]
    project_id: Text
    dataset_id: Text
    table_id: str | None = None
    client_email: Secret
    private_key: Secret
    private_key_id: Secret
    use_json_type: Flag = None


class DatabricksDestination(_Destination):
    type: Literal["Databricks"]
    integration_id: int = Field(ge=1)
    http_path: Text
    catalog: Text
    schema_: Text = Field(alias="schema")
    table_name: Text
    use_variant_type: Flag = None
    use_automatic_schema_evolution: Flag = None


class HttpDestination(_Destination):
    type: Literal["HTTP"]
    region: Literal["us", "eu"]
    token: Secret = Field(description="receiving project's API key")


KINDS: tuple[type[Private], ...] = (
    S3Destination,
    SnowflakeDestination,
    SqlDestination,
    BigQueryDestination,
    DatabricksDestination,
    HttpDestination,
)
