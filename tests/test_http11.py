"""HTTP/1.1 as the async pool writes requests and reads answers (http11.encode, http11.Reader).

The reader works on bytes alone, so every answer is read twice, whole and one byte at a time,
and read answers are checked against h11 (the parser under httpx's own pool) as an oracle.
"""

from __future__ import annotations

import itertools

import h11
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_posthog.http11 import MAX_HEAD, Reader, encode

HEADERS = [(b"Host", b"eu.posthog.com"), (b"Accept", b"*/*")]

# (name, request method, answer bytes, what reading it gives: status, headers, body, reusable)
VALID = [
    (
        "content-length",
        b"GET",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        b'{"id": 123}',
        (200, [(b"Content-Type", b"application/json"), (b"Content-Length", b"11")], b'{"id": 123}'),
        True,
    ),
    (
        "chunked, with an extension and trailers",
        b"GET",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\nB \r\n, chunked!!\r\n0\r\nX-Trailer: 1\r\n\r\n",
        (200, [(b"transfer-encoding", b"Chunked")], b"hello, chunked!!"),
        True,
    ),
    (
        "read until the connection closes",
        b"GET",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length, read to the end",
        (200, [(b"Content-Type", b"text/plain")], b"no length, read to the end"),
        False,
    ),
    (
        "100 Continue, then the answer",
        b"POST",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        (201, [(b"Content-Length", b"2")], b"ok"),
        True,
    ),
    (
        "HEAD has no body whatever its length",
        b"HEAD",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
        (200, [(b"Content-Length", b"1234")], b""),
        True,
    ),
    (
        "204 and 304 have no body",
        b"DELETE",
        b"HTTP/1.1 204 No Content\r\nVary: Accept\r\n\r\n",
        (204, [(b"Vary", b"Accept")], b""),
        True,
    ),
    (
        "bare LF line ends, padded values, an empty reason",
        b"GET",
        b"HTTP/1.1 200 \nContent-Length:  2 \nX-Empty:\n\nok",
        (200, [(b"Content-Length", b"2"), (b"X-Empty", b"")], b"ok"),
        True,
    ),
    (
        "obsolete line folding joins a value",
        b"GET",
        b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\nContent-Length: 0\r\n\r\n",
        (200, [(b"X-Folded", b"one two"), (b"Content-Length", b"0")], b""),
        True,
    ),
    (
        "Connection: close",
        b"GET",
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
        (200, [(b"Connection", b"keep-alive, Close"), (b"Content-Length", b"2")], b"ok"),
        False,
    ),
    (
        "HTTP/1.0",
        b"GET",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        (200, [(b"Content-Length", b"2")], b"ok"),
        False,
    ),
]

INVALID = [
    ("not a status line", b"GET", b"HTTP/2 200 OK\r\n\r\n"),
    ("a header line without a colon", b"GET", b"HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok"),
    ("a space before the colon", b"GET", b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"),
    ("NUL in a value", b"GET", b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n"),
    ("a vertical tab in a value", b"GET", b"HTTP/1.1 200 OK\r\nX-A: a\x0bb\r\n\r\n"),
    ("a fold before any header", b"GET", b"HTTP/1.1 200 OK\r\n folded\r\n\r\n"),
    ("lengths that disagree", b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok"),
    ("a length that is no number", b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok"),
    (
        "an encoding other than chunked",
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    ),
    ("switching protocols", b"GET", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"),
    (
        "a chunk size that is no number",
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    ),
    (
        "chunk data longer than its size",
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    ),
]


def _drain(reader: Reader, body: bytearray) -> bool:
    """Add the body bytes that have arrived to ``body``; whether the body has ended."""
    while (data := reader.body()) is not None:
        if not data:
            return True
        body += data
    return False


Read = tuple[int, list[tuple[bytes, bytes]], bytes, bool]  # status, headers, body, reusable


def read(answer: bytes, method: bytes, step: int | None = None) -> Read:
    """Status, headers, body and reuse of ``answer``, fed whole or ``step`` bytes at a time."""
    reader = Reader()
    size = step or len(answer) or 1
    head, body, ended = None, bytearray(), False
    for at in range(0, len(answer), size):
        reader.feed(answer[at : at + size])
        head = head or reader.head(method)
        ended = head is not None and _drain(reader, body)
    reusable = reader.reusable  # judged before the connection ends, as the pool does
    if not ended:
        reader.feed_eof()
        head = head or reader.head(method)
        ended = _drain(reader, body)
    assert head is not None and ended
    return head.status, head.headers, bytes(body), reusable


def read_with_h11(answer: bytes, method: bytes) -> Read:
    """The same, read by h11 as httpx's own pool reads it."""
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method=method, target=b"/", headers=HEADERS))
    connection.send(h11.EndOfMessage())
    connection.receive_data(answer)
    head, body, ended_by_close = None, bytearray(), False
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(b"")  # the end of the connection, which then can't be reused
            ended_by_close = True
        elif isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            break
    assert head is not None
    reusable = connection.their_state is h11.DONE and connection.our_state is h11.DONE
    reusable = reusable and not ended_by_close
    return head.status_code, head.headers.raw_items(), bytes(body), reusable


@pytest.mark.parametrize("step", [None, 1, 7])
@pytest.mark.parametrize(
    ("method", "answer", "expected", "reusable"),
    [v[1:] for v in VALID],
    ids=[v[0] for v in VALID],
)
def test_answers_are_read_whole_or_byte_by_byte(
    method: bytes,
    answer: bytes,
    expected: tuple[object, ...],
    reusable: bool,
    step: int | None,
) -> None:
    assert read(answer, method, step) == (*expected, reusable)


@pytest.mark.parametrize(("method", "answer"), [v[1:3] for v in VALID], ids=[v[0] for v in VALID])
def test_answers_read_as_h11_reads_them(method: bytes, answer: bytes) -> None:
    status, headers, body, reusable = read_with_h11(answer, method)
    ours = read(answer, method)
    # h11 lowers the case of some values (Transfer-Encoding); the reader keeps them as sent.
    assert ours[0] == status and ours[2:] == (body, reusable)
    assert [(n.lower(), v.lower()) for n, v in ours[1]] == [
        (n.lower(), v.lower()) for n, v in headers
    ]


@pytest.mark.parametrize(
    ("method", "answer"), [v[1:] for v in INVALID], ids=[v[0] for v in INVALID]
)
def test_answers_that_break_http_are_refused_as_h11_refuses_them(
    method: bytes, answer: bytes
) -> None:
    with pytest.raises(h11.RemoteProtocolError):
        read_with_h11(answer, method)
    for step in (None, 1):
        with pytest.raises(httpx.RemoteProtocolError):
            read(answer, method, step)


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ],
    ids=["before the head", "in the head", "in a body", "in a chunk", "before the last chunk"],
)
def test_an_answer_cut_short_by_the_end_of_the_connection_is_refused(answer: bytes) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        read(answer, b"GET")


def test_heads_and_chunk_lines_past_their_limits_are_refused() -> None:
    endless = b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * MAX_HEAD
    for answer in (endless, endless + b"\r\n\r\n"):
        with pytest.raises(httpx.RemoteProtocolError, match="16 KiB"):
            read(answer, b"GET")
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"x" * 5000
    with pytest.raises(httpx.RemoteProtocolError, match="too long"):
        read(chunked, b"GET")


def test_one_length_sent_twice_frames_the_body_once() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nokHTTP"
    reader = Reader()
    reader.feed(answer)
    assert reader.head(b"GET") is not None
    assert (reader.body(), reader.body()) == (b"ok", b"")
    assert not reader.reusable  # bytes after the answer belong to no request


def test_a_request_that_asks_to_close_leaves_the_connection_unused() -> None:
    reader = Reader()
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert reader.head(b"GET", keep_alive=False) is not None
    assert reader.body() == b"" and not reader.reusable


def test_the_connection_carries_answer_after_answer() -> None:
    reader = Reader()
    for body in (b"one", b"two"):
        reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + body)
        head = reader.head(b"GET")
        assert head is not None and (head.status, reader.body(), reader.body()) == (200, body, b"")
        assert reader.reusable
        reader.next_cycle()


def test_requests_are_written_as_their_headers_frame_them() -> None:
    assert encode(b"GET", b"/api/projects/2/?a=1", HEADERS, b"") == (
        b"GET /api/projects/2/?a=1 HTTP/1.1\r\nHost: eu.posthog.com\r\nAccept: */*\r\n\r\n"
    )
    sized = [*HEADERS, (b"Content-Length", b"7")]
    assert encode(b"POST", b"/i/v0/e/", sized, b'{"a":1}').endswith(
        b'Content-Length: 7\r\n\r\n{"a":1}'
    )
    chunked = [*HEADERS, (b"Transfer-Encoding", b"chunked")]
    assert encode(b"POST", b"/", chunked, b"hello").endswith(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    ("method", "target", "headers", "body"),
    [
        (b"GET", b"/", [(b"X-Key", b"phx_1\r\nX-Injected: 1")], b""),
        (b"GET", b"/", [(b"X Key", b"1")], b""),
        (b"GET", b"/", [(b"", b"1")], b""),
        (b"GET", b"/a b", [], b""),
        (b"GE T", b"/", [], b""),
        (b"POST", b"/", [(b"Content-Length", b"3")], b"four"),
        (b"POST", b"/", [], b"no length"),
        (b"POST", b"/", [(b"Transfer-Encoding", b"gzip")], b"x"),
    ],
    ids=[
        "a line break in a value",
        "a space in a name",
        "an empty name",
        "a space in the target",
        "a space in the method",
        "a body longer than its length",
        "a body with no length",
        "an encoding other than chunked",
    ],
)
def test_requests_that_would_break_http_are_never_written(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    with pytest.raises(httpx.LocalProtocolError):
        encode(method, target, headers, body)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=300),
    sizes=st.lists(st.integers(1, 64), min_size=1, max_size=8),
    step=st.integers(1, 50),
)
def test_any_body_in_any_chunks_arriving_in_any_pieces_is_read_back(
    body: bytes, sizes: list[int], step: int
) -> None:
    chunks, at = [], 0
    for size in itertools.cycle(sizes):
        if at >= len(body):
            break
        piece, at = body[at : at + size], at + size
        chunks.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(chunks)
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    for answer in (chunked + b"0\r\n\r\n", sized):
        assert read(answer, b"GET", step)[2:] == (body, True)
