"""Running workerd: serve on a socket cfworker owns, wait until it listens, stop it by its own pid.

The only place in `cfworker dev` that starts a process. cfworker opens the listening socket
once and hands it to every workerd it starts (`--socket-fd`), so the URL never changes and
a request that arrives during a restart waits in the socket's backlog instead of being
refused. `--control-fd` tells when workerd is listening. Its stdout and stderr are read
line by line on two daemon threads and handed to a callback. Stopping sends SIGTERM to
the process's own pid, then SIGKILL after a grace period: a request stuck in the Worker can
make workerd ignore SIGTERM (measured; see notes/toolchain.md).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import logging
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from cfworker.dev.config import SOCKET_NAME
from cfworker.errors import ToolError, UserError

log = logging.getLogger(__name__)

OutputSink = Callable[[str, str], None]  # (stream: "stdout" | "stderr", line without newline)
STOP_GRACE = 2.0
TAIL_LINES = 30


def listen_socket(port: int, *, host: str = "127.0.0.1") -> socket.socket:
    """A listening TCP socket on host:port (0 = any free port); UserError when the port is taken."""
    try:
        return socket.create_server((host, port), backlog=128)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} on {host} is already in use",
                            hint="stop the other server, or pick another port with --port (0 = any free port)") from exc
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


class WorkerdProcess:
    """One running workerd; `stop()` ends it and waits for its output to be read."""

    def __init__(self, proc: subprocess.Popen[bytes], control: int, on_output: OutputSink) -> None:
        self.proc = proc
        self._control = control
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._pumps = [
            threading.Thread(target=self._pump, args=(name, stream, on_output), daemon=True,
                             name=f"workerd-{proc.pid}-{name}")
            for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr)) if stream is not None
        ]
        for pump in self._pumps:
            pump.start()

    @property
    def pid(self) -> int:
        """The process id (every signal goes to exactly this pid)."""
        return self.proc.pid

    def running(self) -> bool:
        """True until the process has exited."""
        return self.proc.poll() is None

    def _pump(self, name: str, stream: IO[bytes], on_output: OutputSink) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.tail.append(line)
            on_output(name, line)
        stream.close()

    def wait_listening(self, timeout: float) -> int:
        """Block until workerd reports its socket listening; returns the port, ToolError if it dies first."""
        deadline = time.monotonic() + timeout
        buffered = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop(grace=0.5)
                raise ToolError(f"workerd did not start listening within {timeout:.0f} s")
            ready, _, _ = select.select([self._control], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._control, 4096)
            if not chunk:  # workerd exited: the write end of the pipe closed with it
                raise self._died()
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                with contextlib.suppress(ValueError):
                    message = json.loads(line)
                    if message.get("event") == "listen":
                        return int(message["port"])

    def _died(self) -> ToolError:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self._join()
        said = "its output is above" if any(line.strip() for line in self.tail) else "it printed nothing"
        return ToolError(f"workerd exited (code {code}) before it started serving; {said}")

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM to this pid, SIGKILL after `grace` seconds; then wait for the output threads."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Popen never signals a pid it has already reaped
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log.debug("workerd %d ignored SIGTERM for %.1f s; sending SIGKILL", self.pid, grace)
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._join()

    def _join(self) -> None:
        for pump in self._pumps:
            pump.join(timeout=2)
        if self._control >= 0:
            os.close(self._control)
            self._control = -1


def start_workerd(
    binary: Path,
    config: Path,
    *,
    listener: socket.socket,
    environ: Mapping[str, str],
    on_output: OutputSink,
) -> WorkerdProcess:
    """Start `workerd serve config` on `listener`; call `wait_listening()` on the result next."""
    read_end, write_end = os.pipe()
    fd = listener.fileno()
    argv = [str(binary), "serve", str(config), f"--socket-fd={SOCKET_NAME}={fd}", f"--control-fd={write_end}"]
    log.debug("workerd: running %s", " ".join(argv))
    try:
        proc = subprocess.Popen(
            argv, cwd=config.parent, env=dict(environ), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(fd, write_end),
            # Its own session: Ctrl-C in the terminal reaches cfworker only, which then
            # stops workerd itself (in order, with the grace period).
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_end)
        raise ToolError(f"could not run {binary}: {exc.strerror or exc}",
                        hint="check that CFWORKER_WORKERD (if set) points at a workerd built for this machine") from exc
    finally:
        os.close(write_end)
    log.debug("workerd: pid %d", proc.pid)
    return WorkerdProcess(proc, read_end, on_output)
