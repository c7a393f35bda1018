"""HTTP/1.1 as a client speaks it, from bytes alone, for the async pool (langchain_posthog.pool).

A client's half of HTTP/1.1 is small: write a request whole, then read one answer, its head and
then its body as the head frames it (RFC 9112 section 6): a Content-Length, chunks, or
everything until the connection closes. ``encode`` writes requests and ``Reader`` reads
answers. Neither does I/O, so each rule is tested byte by byte (tests/test_http11.py);
``langchain_posthog.protocol`` feeds a ``Reader`` from asyncio's callbacks.

Why not h11, the state machine under httpx's own pool: it serves both peers of every exchange
and turns each piece into an event object, which costs about 170 us of CPU per exchange. That
was the largest single cost of a call after httpx's own objects, and past a few dozen calls at
once CPU is what sets the pace (benchmarks/overlap.py). Writing the request and reading only
what a client must, with a few regular expressions over whole heads, takes about a quarter of
that. Where RFC 9112 leaves a choice, the rules are h11's: a head of at most 16 KiB, obsolete
line folding unfolded, a Transfer-Encoding other than ``chunked`` refused, chunk terminators
checked. tests/test_http11.py reads every answer with h11 too, as an oracle.

Errors are httpx's own, as httpx raises them for its own pool.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import httpx

MAX_HEAD = 16 * 1024  # h11's limit on an answer's head, so httpx's own pool takes no more

# A header name (RFC 9110's token), and what h11 allows in a header value or a reason phrase:
# anything but NUL and line breaks.
_TOKEN_CHARS = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]"
_VALUE_CHARS = rb"[^\x00\n\r\x0b\x0c]"
_LINE = _TOKEN_CHARS + rb"+:" + _VALUE_CHARS + rb"*"

_TOKEN = re.compile(_TOKEN_CHARS + rb"+")
_BAD_VALUE = re.compile(rb"[\x00\n\r\x0b\x0c]")  # the complement of _VALUE_CHARS
_BAD_TARGET = re.compile(rb"[\x00-\x20\x7f]")
_STATUS_LINE = re.compile(rb"HTTP/(\d\.\d) (\d{3})(?: (" + _VALUE_CHARS + rb"*))?")
_BLANK_LINE = re.compile(rb"\n\r?\n")  # the end of a head; bare LF line ends are read too
_FOLD = re.compile(rb"[ \t]*\n[ \t]+")
# An answer's header lines, LF-ended: validated whole, then each split into name and value.
_FIELDS = re.compile(rb"(?:" + _LINE + rb"\n)*" + _LINE)
_FIELD = re.compile(rb"([^:\n]+):[ \t]*((?:[^\n]*[^ \t\n])?)[ \t]*(?:\n|\Z)")
# The header lines that frame an answer and say whether its connection stays open.
_FRAMING = re.compile(rb"(?im)^(content-length|transfer-encoding|connection):([^\n]*)$")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?")
_MAX_LINE = 4096  # a chunk's size line or a trailer line

_CHUNKED = -1  # Reader._left: the body comes in chunks
_UNTIL_CLOSE = -2  # Reader._left: the body ends when the connection does
_DATA_END = -1  # Reader._chunk: the CRLF after a chunk's data is next
_TRAILERS = -2  # Reader._chunk: trailer lines, then the blank line, are next


class Head(NamedTuple):
    """An answer's status line and header lines, names and values as sent."""

    status: int
    reason: bytes
    version: bytes  # b"1.1"
    headers: list[tuple[bytes, bytes]]


def encode(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """A request's bytes, framed as its headers say; raise LocalProtocolError for bad parts."""
    if not _TOKEN.fullmatch(method) or not target or _BAD_TARGET.search(target):
        raise httpx.LocalProtocolError("invalid request line")
    # Names joined are one token exactly when each is one, none of them empty.
    names = b"".join([name for name, _ in headers])
    if not all(name for name, _ in headers) or not _TOKEN.fullmatch(names or b"-"):
        raise httpx.LocalProtocolError("invalid header name")
    if _BAD_VALUE.search(b"\t".join([value for _, value in headers])):
        raise httpx.LocalProtocolError("invalid header value")
    length, chunked = _framing(headers)
    parts = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    if chunked:
        if body:
            parts += (b"%x\r\n" % len(body), body, b"\r\n")
        parts.append(b"0\r\n\r\n")
    elif (length or b"0") != b"%d" % len(body):
        raise httpx.LocalProtocolError("the body's length is not its Content-Length")
    else:
        parts.append(body)
    return b"".join(parts)


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[bytes | None, bool]:
    """A request's Content-Length, and whether it is sent in chunks."""
    length, chunked = None, False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            length = value.strip()
        elif lowered == b"transfer-encoding":
            if value.strip().lower() != b"chunked":
                raise httpx.LocalProtocolError("only chunked Transfer-Encoding can be sent")
            chunked = True
    return length, chunked


def keeps_alive(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether no ``Connection: close`` is among ``headers``."""
    for name, value in headers:
        if name.lower() == b"connection" and b"close" in _tokens(value):
            return False
    return True


class Reader:
    """The answers arriving on one connection, read from its bytes as they come; no I/O.

    ``head()`` then ``body()`` until it returns ``b""``; both return ``None`` while they need
    more bytes, and raise httpx.RemoteProtocolError for an answer that breaks HTTP/1.1 or is
    cut short by the end of the connection (``feed_eof``).
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._eof = False
        self._left = 0  # body bytes still to come, or _CHUNKED, or _UNTIL_CLOSE
        self._chunk = 0  # in a chunked body: bytes left of this chunk, or where we are
        self._ended = False  # the body has been read to its end
        self._reusable = False  # the connection may carry another request after this answer

    def feed(self, data: bytes) -> None:
        """Bytes that arrived."""
        self._buffer += data

    def feed_eof(self) -> None:
        """The connection ended: no more bytes will arrive."""
        self._eof = True

    @property
    def reusable(self) -> bool:
        """Whether the answer was read to its end and the connection can carry the next one."""
        return self._ended and self._reusable and not self._eof and not self._buffer

    def next_cycle(self) -> None:
        """Get ready for the next answer on the same connection."""
        self._left = self._chunk = 0
        self._ended = self._reusable = False

    def head(self, method: bytes, keep_alive: bool = True) -> Head | None:
        """The head of the answer to a ``method`` request; 1xx informational heads are skipped.

        ``keep_alive`` is ``False`` when the request asked the server to close.
        """
        while True:
            parsed = self._one_head()
            if parsed is None:
                return None
            head, fields = parsed
            if head.status >= 200:
                break
            if head.status == 101:
                raise httpx.RemoteProtocolError("the server switched protocols")
        framing: dict[bytes, list[bytes]] = {}
        for name, value in _FRAMING.findall(fields):
            framing.setdefault(name.lower(), []).extend(_tokens(value))
        if method == b"HEAD" or head.status in (204, 304):
            self._left = 0
        elif encodings := framing.get(b"transfer-encoding"):
            if encodings != [b"chunked"]:
                raise httpx.RemoteProtocolError("unsupported Transfer-Encoding")
            self._left = _CHUNKED
        elif lengths := framing.get(b"content-length"):
            if len(set(lengths)) != 1 or not lengths[0].isdigit() or len(lengths[0]) > 18:
                raise httpx.RemoteProtocolError("bad Content-Length")
            self._left = int(lengths[0])
        else:
            self._left = _UNTIL_CLOSE
        self._reusable = (
            keep_alive
            and head.version == b"1.1"
            and self._left != _UNTIL_CLOSE
            and b"close" not in framing.get(b"connection", ())
        )
        return head

    def body(self) -> bytes | None:
        """The body's next bytes; ``b""`` at its end, ``None`` while none have arrived."""
        if self._ended:
            return b""
        buffer = self._buffer
        if self._left == _CHUNKED:
            return self._chunks()
        if self._left == _UNTIL_CLOSE:
            if buffer:
                return self._take(len(buffer))
            if self._eof:
                self._ended = True
                return b""
            return None
        if self._left == 0:
            self._ended = True
            return b""
        if buffer:
            data = self._take(min(self._left, len(buffer)))
            self._left -= len(data)
            return data
        self._fail_if_cut_short()
        return None

    # -- internals ----------------------------------------------------------------------------

    def _one_head(self) -> tuple[Head, bytes] | None:
        """The next head, and its header lines as one block."""
        buffer = self._buffer
        end = _BLANK_LINE.search(buffer)
        if end is None:
            if len(buffer) > MAX_HEAD:
                raise httpx.RemoteProtocolError("the answer's head is over 16 KiB")
            if self._eof:
                message = "the server closed the connection without answering"
                raise httpx.RemoteProtocolError(message)
            return None
        if end.start() > MAX_HEAD:
            raise httpx.RemoteProtocolError("the answer's head is over 16 KiB")
        block = bytes(buffer[: end.start()]).replace(b"\r\n", b"\n").removesuffix(b"\r")
        del buffer[: end.end()]
        first, _, fields = block.partition(b"\n")
        status = _STATUS_LINE.fullmatch(first)
        if status is None:
            raise httpx.RemoteProtocolError("the answer does not start with an HTTP/1 status")
        if fields[:1] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError("the answer's headers start with a folded line")
        if b"\n " in fields or b"\n\t" in fields:  # obsolete line folding: one value, on
            fields = _FOLD.sub(b" ", fields)
        if fields and not _FIELDS.fullmatch(fields):
            raise httpx.RemoteProtocolError("a header line of the answer is malformed")
        version, code, reason = status.groups()
        return Head(int(code), reason or b"", version, _FIELD.findall(fields)), fields

    def _chunks(self) -> bytes | None:
        buffer = self._buffer
        data: list[bytes] = []
        while True:
            if self._chunk > 0:
                if not buffer:
                    break
                piece = self._take(min(self._chunk, len(buffer)))
                data.append(piece)
                self._chunk -= len(piece)
                if not self._chunk:
                    self._chunk = _DATA_END
                continue
            line = self._line()
            if line is None:
                break
            if self._chunk == _DATA_END:
                if line not in (b"", b"\r"):
                    raise httpx.RemoteProtocolError("a chunk's data runs past its size")
                self._chunk = 0
            elif self._chunk == 0:
                size = _CHUNK_SIZE.fullmatch(line)
                if size is None:
                    raise httpx.RemoteProtocolError("a chunk's size line is malformed")
                self._chunk = int(size.group(1), 16) or _TRAILERS
            elif line in (b"", b"\r"):  # the blank line after the trailers ends the body
                self._ended = True
                return b"".join(data)
        if data:
            return b"".join(data)
        self._fail_if_cut_short()
        return None

    def _line(self) -> bytes | None:
        """The next line without its LF, if it has arrived whole."""
        buffer = self._buffer
        end = buffer.find(b"\n", 0, _MAX_LINE)
        if end < 0:
            if len(buffer) >= _MAX_LINE:
                raise httpx.RemoteProtocolError("a line of the answer's body is too long")
            return None
        line = bytes(buffer[:end])
        del buffer[: end + 1]
        return line

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fail_if_cut_short(self) -> None:
        """Called when the body's next bytes have not arrived: they never will after the end."""
        if self._eof:
            raise httpx.RemoteProtocolError("the connection closed before the body's end")


def _tokens(value: bytes) -> list[bytes]:
    """A comma-separated header value's items, in lower case."""
    return [token.strip() for token in value.lower().split(b",") if token.strip()]
