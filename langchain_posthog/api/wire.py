"""What goes on the wire: the httpx request a call becomes, and the httpx clients that send it.

A request carries the key its host wants (the personal key as a bearer token to the app, the
project key in the body of a capture), the JSON body (gzipped when asked), and the query string.
The clients the toolkit makes keep no cookies: every request is authenticated by its key alone.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from functools import lru_cache
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx

from langchain_posthog.about import __version__
from langchain_posthog.api.calls import Call
from langchain_posthog.api.errors import PostHogConfigError

USER_AGENT = f"langchain-posthog/{__version__}"


@dataclass(frozen=True)
class Wire:
    """How this client's calls become requests: its origins, its keys and its timeout."""

    app_url: str
    ingest_url: str
    personal_key: str | None = field(repr=False)
    project_key: str | None = field(repr=False)
    timeout: httpx.Timeout

    def request(self, call: Call) -> httpx.Request:
        """The request ``call`` becomes, with its key; refused, saying why, if it cannot be sent."""
        method = call.method.upper()
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/csv" if call.text else "application/json",
            "Accept-Encoding": "gzip",
        }
        body = call.json
        if call.host == "ingest":
            origin = self.ingest_url
            if call.with_project_key:
                if self.project_key is None:
                    raise PostHogConfigError(
                        "No project API key: set POSTHOG_PROJECT_API_KEY or pass "
                        "project_api_key='phc_...' (Project settings -> Project API key)."
                    )
                body = {**(body or {}), "api_key": self.project_key}
        else:
            origin = self.app_url
            if self.personal_key is None:
                raise PostHogConfigError(
                    "No personal API key: set POSTHOG_PERSONAL_API_KEY or pass "
                    "personal_api_key='phx_...' (Settings -> Personal API keys)."
                )
            headers["Authorization"] = f"Bearer {self.personal_key}"
        try:
            content: bytes | None = None
            if body is not None:
                content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
                headers["Content-Type"] = "application/json"
                if call.gzip:
                    # A gzip stream (wbits 31), as PostHog's /batch/ accepts; zlib is loaded
                    # already by httpx's decoders, the gzip module is not.
                    content = zlib.compress(content, wbits=31)
                    headers["Content-Encoding"] = "gzip"
            params = tuple((k, _param(v)) for k, v in (call.params or {}).items() if v is not None)
            url = _request_url(origin + call.path, params)
        except UnicodeEncodeError:
            raise PostHogConfigError(
                "An argument holds text that is not valid Unicode (a lone surrogate such as "
                "\\ud800); fix that text. Nothing was sent."
            ) from None
        except httpx.InvalidURL:
            raise PostHogConfigError(
                "The request would be too long to send (an argument that goes into the URL is "
                "huge); shorten it. Nothing was sent."
            ) from None
        return httpx.Request(
            method,
            url,
            headers=headers,
            content=content,
            extensions={"timeout": self.timeout.as_dict()},
        )


class _EmptyJar(CookieJar):
    """A cookie jar that keeps nothing it is given."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class _NoCookies(httpx.Cookies):
    """A cookie store that stays empty: every request is authenticated by its key alone.

    A cookie PostHog or a proxy sets (a session, a load balancer's) would otherwise ride on
    later requests, and a Django session cookie turns on CSRF checks for writes. Not reading
    ``Set-Cookie`` also saves each answer about 40 µs of httpx wrapping it for ``http.cookiejar``.
    """

    def __init__(self) -> None:
        super().__init__(_EmptyJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class _Cookieless:
    """The clients' cookies are :data:`_NO_COOKIES`, whatever is set."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


class Client(_Cookieless, httpx.Client):
    """The ``httpx.Client`` the toolkit makes for itself."""


class AsyncClient(_Cookieless, httpx.AsyncClient):
    """The ``httpx.AsyncClient`` the toolkit makes for itself."""


async def closing_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Wait at its ``yield`` while ``client`` serves a loop; close it when the loop finishes.

    asyncio.run (and asyncio.Runner) finish a loop's open async generators before closing it.
    """
    try:
        yield
    finally:
        await client.aclose()


@lru_cache(maxsize=256)
def _request_url(address: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
    """``address`` with ``params``, parsed once and shared (httpx URLs are immutable).

    The busiest calls (queries, captures, lists, polling) repeat the same URL, and httpx takes
    some 40 µs to parse one.
    """
    return httpx.URL(address, params=params or None)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
