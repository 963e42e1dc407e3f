"""Bounded HTTP for the API client: a whole-request deadline and a cap on what an answer may hold.

httpx's timeouts are per socket operation, so an answer trickling one byte every 20 s never
times out. Here every socket read, write and connect of a request is given at most the
time left until that request's deadline (a thread-local the client sets around each
attempt), so connect + send + the entire answer end by the deadline, however the server
behaves. The network backend is httpcore's public extension point; httpx exposes no
setter for it, so `bound_client` swaps it on the pools httpx built (its own transport and
any proxy mounts, so HTTPS_PROXY still works). If a future httpx hides them, the client
still works with per-operation timeouts and the deadline checks between chunks.

`read_body` streams the raw answer and decodes gzip/deflate itself with a bounded
output, so an oversized answer or a decompression bomb is refused with an error instead of
being held in memory.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)

# Far above any real answer (a KV value is at most 25 MiB; list pages are a few MiB).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# A compressed answer expanding more than this, past its first MiB, is a decompression bomb:
# JSON compresses perhaps 5-30 times; a bomb of zeros a thousand times.
MAX_EXPANSION = 200
_BOMB_GRACE = 1024 * 1024
_CHUNK = 64 * 1024
_INFLATE_STEP = 256 * 1024  # bytes of output per decompress call
_WRITE_PIECE = 16 * 1024


class AnswerTooLarge(Exception):
    """The answer (or what it decompresses to) exceeds what the client accepts."""


class DeadlinePassed(Exception):
    """The request's whole deadline passed while reading the answer."""


class _Deadline(threading.local):
    at: float | None = None


_DEADLINE = _Deadline()


def set_deadline(at: float | None) -> None:
    """Bound every socket operation of this thread's next request by `at` (time.monotonic)."""
    _DEADLINE.at = at


def remaining() -> float | None:
    """Seconds left until this thread's deadline, or None without one."""
    at = _DEADLINE.at
    return None if at is None else at - time.monotonic()


def _clip(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the request deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # In pieces, so a server that reads slowly cannot stretch one write past the deadline.
        for start in range(0, len(buffer), _WRITE_PIECE):
            self._inner.write(buffer[start:start + _WRITE_PIECE], _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _clip(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every connection bounded by the request deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clip(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _clip(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_client(client: httpx.Client) -> bool:
    """Give every pool of `client` the deadline backend; False when httpx's layout is not the known one."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    pools = [getattr(t, "_pool", None) for t in transports if isinstance(t, httpx.HTTPTransport)]
    bound = False
    for pool in pools:
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = DeadlineBackend(pool._network_backend)
            bound = True
    if not bound and any(isinstance(t, httpx.HTTPTransport) for t in transports):
        log.debug("could not bound httpx's network backend; deadlines are checked between chunks only")
    return bound


def _decoder(encoding: str) -> Any:
    """A zlib decompressor for the answer's Content-Encoding (None for identity)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise AnswerTooLarge(f"the answer is encoded as {encoding!r}, which was not asked for")


def read_body(response: httpx.Response, *, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """The whole decoded body of a streamed response, refusing more than `limit` bytes.

    Raises AnswerTooLarge (oversized, a decompression bomb, an encoding not asked for) or
    DeadlinePassed (the deadline went by between chunks; the socket reads are bounded too).
    """
    decoder = _decoder(response.headers.get("content-encoding", ""))
    parts: list[bytes] = []
    raw = size = 0
    for chunk in _raw_chunks(response):
        raw += len(chunk)
        if raw > limit:
            raise AnswerTooLarge(f"the answer is larger than {limit // (1024 * 1024)} MiB")
        for piece in [chunk] if decoder is None else _inflate(decoder, chunk):
            size += len(piece)
            if size > limit:
                raise AnswerTooLarge(f"the answer decompresses to more than {limit // (1024 * 1024)} MiB")
            if decoder is not None and size > _BOMB_GRACE and size > MAX_EXPANSION * raw:
                raise AnswerTooLarge(f"the answer expands more than {MAX_EXPANSION} times when decompressed "
                                     "(a decompression bomb)")
            parts.append(piece)
        left = remaining()
        if left is not None and left <= 0:
            raise DeadlinePassed("the deadline passed while the answer was arriving")
    if decoder is not None:
        tail = decoder.flush()
        if len(tail) + size > limit:
            raise AnswerTooLarge(f"the answer decompresses to more than {limit // (1024 * 1024)} MiB")
        parts.append(tail)
    return b"".join(parts)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    if response.is_stream_consumed:  # a MockTransport response built from bytes
        yield response.content
        return
    yield from response.iter_raw(_CHUNK)


def _inflate(decoder: Any, data: bytes) -> Iterator[bytes]:
    """Decompress `data` one bounded step at a time, so the caller can stop a bomb after any step."""
    while data:
        piece = decoder.decompress(data, _INFLATE_STEP)
        if piece:
            yield piece
        data = decoder.unconsumed_tail
