"""Where a toolkit's requests go: PostHog Cloud's regions or a self-hosted URL."""

from __future__ import annotations

import httpx

from langchain_posthog.api.errors import PostHogConfigError
from langchain_posthog.api.redaction import mask_key_shapes

CLOUD_HOSTS = {
    "us": ("https://us.posthog.com", "https://us.i.posthog.com"),
    "eu": ("https://eu.posthog.com", "https://eu.i.posthog.com"),
}
# App hosts a user may paste, mapped to their cloud region (the Python SDK does the same).
_CLOUD_ALIASES = {
    "app.posthog.com": "us",
    "us.posthog.com": "us",
    "us.i.posthog.com": "us",
    "eu.posthog.com": "eu",
    "eu.i.posthog.com": "eu",
}
CLOUD_NAMES = frozenset(_CLOUD_ALIASES)


def resolve_hosts(host: str | None, ingest_host: str | None = None) -> tuple[str, str]:
    """Turn the ``host`` setting (``us``, ``eu`` or a URL) into the app and ingestion origins."""
    raw = (host or "us").strip()
    for name, value in (("host", raw), ("ingest_host", ingest_host or "")):
        if mask_key_shapes(value) != value:
            raise PostHogConfigError(
                f"{name} holds a PostHog key: keys go in personal_api_key and project_api_key "
                "(or their POSTHOG_ variables); the host is 'us', 'eu' or your PostHog's URL."
            )
    region = raw.lower() if raw.lower() in CLOUD_HOSTS else None
    if region is None:
        if _region_word(raw):
            raise PostHogConfigError(
                "host must be 'us' (PostHog Cloud US), 'eu' (PostHog Cloud EU) or the http(s) "
                f"URL of a self-hosted PostHog, not {mask_key_shapes(raw)!r}."
            )
        url = _url(raw, "host")
        if url.scheme not in {"http", "https"} or not url.host:
            raise PostHogConfigError(
                "host must be 'us', 'eu' or an http(s) URL of a self-hosted PostHog, not "
                f"{mask_key_shapes(raw)!r}."
            )
        region = _CLOUD_ALIASES.get(url.host)
        origin = _base(url, raw, "host")
    app, ingest = CLOUD_HOSTS[region] if region else (origin, origin)
    if ingest_host:
        ingest_raw = ingest_host.strip()
        ingest_url = _url(ingest_raw, "ingest_host")
        bad = ingest_url.scheme not in {"http", "https"} or not ingest_url.host
        if bad or _region_word(ingest_raw):
            raise PostHogConfigError(
                f"ingest_host must be an http(s) URL, not {mask_key_shapes(ingest_raw)!r}."
            )
        alias = _CLOUD_ALIASES.get(ingest_url.host)
        ingest = CLOUD_HOSTS[alias][1] if alias else _base(ingest_url, ingest_raw, "ingest_host")
    return app, ingest


def _region_word(raw: str) -> bool:
    """A bare word naming a region another way ('europe', 'usa'), not a host like 'posthog'."""
    word = raw.lower()
    return word.isalpha() and word != "localhost" and word.startswith(("eu", "us", "america"))


def _base(url: httpx.URL, raw: str, setting: str) -> str:
    """The origin and path prefix every request of ``url``'s PostHog starts with.

    A self-hosted PostHog behind a reverse proxy may live under a path
    (``https://corp.example/posthog``): that prefix is kept. A pasted API address keeps only
    what comes before ``/api``.
    """
    if url.userinfo:
        raise PostHogConfigError(
            f"{setting} has a user name or password in it: give only the address of PostHog "
            "(the personal API key authenticates every request)."
        )
    if url.query or url.fragment:
        raise PostHogConfigError(
            f"{setting} {mask_key_shapes(raw)!r} has a query or fragment: give only the address "
            "of PostHog, like https://posthog.example.com or https://example.com/posthog."
        )
    prefix, _, _ = (url.path.rstrip("/") + "/").partition("/api/")
    path = prefix.rstrip("/")
    return f"{url.scheme}://{url.netloc.decode()}{path}"


def _url(raw: str, setting: str) -> httpx.URL:
    try:
        return httpx.URL(raw if "://" in raw else f"https://{raw}")
    except httpx.InvalidURL:
        raise PostHogConfigError(f"{setting} {mask_key_shapes(raw)!r} is not a URL.") from None
