"""The async client's transport: httpx's own, or aiohttp's through ``httpx-aiohttp``.

httpx's transport is the default. Under many concurrent calls its pool (httpcore on anyio)
spends more CPU per request than aiohttp's, so the ``aiohttp`` extra offers aiohttp's, the way
LangSmith's and OpenAI's SDKs do, through ``httpx_aiohttp.AiohttpTransport``.

That transport maps aiohttp's errors onto httpx's by class alone: a server that closes the
connection becomes ``httpx.ConnectTimeout``, which would tell the client that a request whose
bytes may have reached PostHog was never sent, and a create would be sent again. The wrapper
here maps them by what they say about the request instead: only a connection that was never
made counts as "not sent". No aiohttp exception reaches a caller.
"""

from __future__ import annotations

import importlib.util
import urllib.request
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx

from langchain_posthog.api.errors import PostHogConfigError

Transport = Literal["httpx", "aiohttp"]
TRANSPORTS: tuple[Transport, ...] = ("httpx", "aiohttp")
INSTALL_AIOHTTP = "pip install 'langchain-posthog[aiohttp]'"


def check_transport(name: str) -> Transport:
    """``name`` if it is a transport this package offers and can load, else a clear error."""
    if name not in TRANSPORTS:
        raise PostHogConfigError(
            f"transport must be one of {', '.join(map(repr, TRANSPORTS))}, not {name!r}."
        )
    if name == "aiohttp" and importlib.util.find_spec("httpx_aiohttp") is None:
        raise PostHogConfigError(
            f"transport='aiohttp' needs the aiohttp extra: {INSTALL_AIOHTTP}. Or leave transport "
            "out to use httpx's own."
        )
    return name


def async_transport(name: Transport, limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """The transport for an async client made by the toolkit; ``None`` means httpx's own.

    httpx's own is made by ``httpx.AsyncClient`` itself, so that it honours proxy variables.
    """
    if name == "aiohttp":
        return AiohttpTransport(limits)
    return None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx_aiohttp.AiohttpTransport`` with aiohttp's errors mapped by what they mean.

    A connection that was never made becomes ``httpx.ConnectError`` raised from the OS or TLS
    error underneath (so that a refused connection, an unknown host or a bad certificate read
    as what they are), or ``httpx.ConnectTimeout``; a read that timed out,
    ``httpx.ReadTimeout``; anything else, on the way out or on the way back,
    ``httpx.RemoteProtocolError``: the request may have reached PostHog.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: Any = None
        # One httpx-aiohttp transport per scheme and host, all on one aiohttp session: each
        # passes that host's proxy, read from the environment when the host is first used.
        self._routes: dict[tuple[str, str], httpx.AsyncBaseTransport] = {}

    def _route(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        route = self._routes.get((url.scheme, url.host))
        if route is None:
            from httpx_aiohttp import AiohttpTransport as _Aiohttp

            if self._session is None:
                self._session = _session(self._limits)
            route = _Aiohttp(limits=self._limits, client=self._session, proxy=_env_proxy(url))
            self._routes[url.scheme, url.host] = route
        return route

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over aiohttp; its errors arrive as httpx's."""
        try:
            response = await self._route(request.url).handle_async_request(request)
        except Exception as error:
            raise _mapped(error, request, answered=False) from _underneath(error)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Body(response.stream, request),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close aiohttp's session and its connections."""
        session, self._session = self._session, None
        self._routes.clear()
        if session is None:
            return
        try:
            await session.close()
        except Exception as error:
            raise _mapped(error, None, answered=True) from _underneath(error)


def _session(limits: httpx.Limits) -> Any:
    """An aiohttp session as httpx-aiohttp makes one, with httpx's certificate settings.

    ``trust_env`` stays off, as in httpx-aiohttp's own: with it on, aiohttp reads ``~/.netrc``
    and the proxy variables in a worker thread on every request, two thread hops that cost
    100 concurrent calls about a third of their CPU (benchmarks/overlap.py), and a netrc entry
    for the host would clash with the Authorization header. The proxy is read once per host
    instead (:func:`_env_proxy`).
    """
    import aiohttp

    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=httpx.create_ssl_context(),
    )
    return aiohttp.ClientSession(connector=connector)


def _env_proxy(url: httpx.URL) -> httpx.Proxy | None:
    """The proxy the environment names for ``url``, read as httpx reads it.

    ``HTTP_PROXY``/``HTTPS_PROXY``, else ``ALL_PROXY``, unless ``NO_PROXY`` exempts the host;
    aiohttp speaks to HTTP proxies only.
    """
    proxies = urllib.request.getproxies()
    address = proxies.get(url.scheme) or proxies.get("all")
    if not address or urllib.request.proxy_bypass(url.host):
        return None
    address = address if "://" in address else f"http://{address}"
    return httpx.Proxy(address) if address.startswith(("http://", "https://")) else None


class _Body(httpx.AsyncByteStream):
    """An answer's body whose read errors arrive as httpx's: the request was sent."""

    def __init__(self, stream: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._stream, self._request = stream, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as error:
            raise _mapped(error, self._request, answered=True) from _underneath(error)

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        except Exception as error:
            raise _mapped(error, self._request, answered=True) from _underneath(error)


def _origin(error: BaseException) -> BaseException:
    """The error httpx-aiohttp mapped (aiohttp's own), or ``error`` itself."""
    return error.__cause__ if isinstance(error, httpx.TransportError) and error.__cause__ else error


def _underneath(error: BaseException) -> BaseException:
    """What the mapped error is raised from: for a failed connect, the OS or TLS error itself.

    ``langchain_posthog.api.retry`` reads a refused connection, an unknown host or a bad
    certificate from there.
    """
    import aiohttp

    cause = _origin(error)
    if isinstance(cause, aiohttp.ClientConnectorCertificateError):
        return cause.certificate_error
    if isinstance(cause, aiohttp.ClientConnectorError):
        return cause.os_error
    return cause


def _mapped(
    error: Exception, request: httpx.Request | None, *, answered: bool
) -> httpx.TransportError:
    import aiohttp

    cause = _origin(error)
    options: dict[str, Any] = {"request": request} if request is not None else {}
    message = str(cause) or type(cause).__name__
    if isinstance(cause, aiohttp.ConnectionTimeoutError) and not answered:
        return httpx.ConnectTimeout(message, **options)
    if isinstance(cause, aiohttp.ServerTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message, **options)
    if isinstance(cause, aiohttp.ClientConnectorError) and not answered:
        return httpx.ConnectError(message, **options)
    return httpx.RemoteProtocolError(message, **options)
