"""Serve a FakeCloudflare over real HTTP on 127.0.0.1 (ephemeral port, daemon thread).

HTTP/1.1 with keep-alive, so clients reuse connections; each response is written with one
`sendall` and TCP_NODELAY, which keeps per-request latency well under a millisecond of
transport overhead. A `Drop` fault closes the socket without a byte of response.

By hand:  python -m tests.fakes.server --port 8787
prints the base URL, a valid token and the account id, and seeds the zone example.com.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.faults import TrickleResponse
from tests.fakes.wire import API_PREFIX, DropConnection, FakeRequest, FakeResponse

_REASONS = BaseHTTPRequestHandler.responses


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudflare"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the fake records requests itself; keep test output clean

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = FakeRequest.build(self.command, self.path, headers, body)
        try:
            resp = self.server.fake.handle(req)
        except DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        except Exception:  # a bug in the fake: answer 500 rather than hanging up
            self.server.fake.internal_errors.append(traceback.format_exc())
            resp = FakeResponse(500, {"Content-Type": "text/plain"}, b"fake cloudflare crashed; see fake.internal_errors")
        reason = _REASONS.get(resp.status, ("Error",))[0]
        lines = [f"HTTP/1.1 {resp.status} {reason}"]
        lines += [f"{k}: {v}" for k, v in resp.headers.items() if k.lower() != "content-length"]
        lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = resp.body if self.command != "HEAD" else b""
        try:
            if isinstance(resp, TrickleResponse):
                self._trickle(head, body, resp)
            else:
                self.wfile.write(head + body)
        except OSError:  # the client gave up (e.g. timed out during a Slow fault)
            self.close_connection = True

    def _trickle(self, head: bytes, body: bytes, resp: TrickleResponse) -> None:
        """Write slowly (a Trickle fault); stops when the client hangs up or the server stops."""
        self.close_connection = True
        if not resp.headers_too:
            self.wfile.write(head)
            head = b""
        data = head + body
        for start in range(0, len(data), resp.chunk):
            self.wfile.write(data[start:start + resp.chunk])
            self.wfile.flush()
            if self.server.stopping.wait(resp.interval):
                return

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeCloudflare
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-request are normal in fault tests; stay quiet about them."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class FakeServer:
    """A FakeCloudflare behind a real socket: `start()`, `base_url`, `stop()` (or use `with`)."""

    def __init__(self, fake: FakeCloudflare | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake or FakeCloudflare()
        self._host, self._port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeServer:
        """Bind and serve in a daemon thread; sets `fake.base_url`."""
        httpd = _Server((self._host, self._port), _Handler)
        httpd.fake = self.fake
        httpd.stopping = threading.Event()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-cloudflare", daemon=True)
        self._thread.start()
        self.fake.base_url = self.base_url
        return self

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/client/v4`."""
        return f"http://{self._host}:{self.port}{API_PREFIX}"

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._httpd is not None:
            self._httpd.stopping.set()
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the fake by hand for manual testing."""
    parser = argparse.ArgumentParser(description="Serve the fake Cloudflare API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--zone", action="append", default=None, help="zone to seed (default: example.com)")
    args = parser.parse_args(argv)
    server = FakeServer(port=args.port).start()
    fake = server.fake
    for name in args.zone or ["example.com"]:
        print(f"zone {name}: {fake.add_zone(name)}")
    fake.set_workers_subdomain("cfworker-dev")
    print(f"CLOUDFLARE_API_BASE_URL={server.base_url}")
    print(f"CLOUDFLARE_API_TOKEN={fake.token}")
    print(f"CLOUDFLARE_ACCOUNT_ID={fake.account_id}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
