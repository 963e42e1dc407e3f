"""Starting and stopping workerd, with small Python stand-ins for it (no workerd needed)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from cfworker.dev.process import listen_socket, start_workerd
from cfworker.errors import ToolError, UserError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="cfworker dev runs on Linux and macOS")

# A stand-in for `workerd serve CONFIG --socket-fd=http=N --control-fd=M`: prints a line,
# reports the listening socket's port on the control fd, then behaves as BEHAVIOUR says.
FAKE = """\
import os, signal, socket, sys, time
args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[3:])
fd = int(args["socket-fd"].split("=")[1])
port = socket.socket(fileno=fd).getsockname()[1]
behaviour = open(sys.argv[2]).read().strip()
print("hello from the fake", flush=True)
if behaviour == "crash":
    print("config.capnp:3: Parse error.", file=sys.stderr, flush=True)
    sys.exit(1)
if behaviour == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.write(int(args["control-fd"]), ('{"event":"listen","socket":"http","port":%d}\\n' % port).encode())
time.sleep(60)
"""


def fake_workerd(tmp_path: Path, behaviour: str) -> tuple[Path, Path]:
    binary = tmp_path / "workerd"
    binary.write_text(f"#!{sys.executable}\n{FAKE}")
    binary.chmod(0o755)
    config = tmp_path / "workerd.capnp"
    config.write_text(behaviour)
    return binary, config


def test_listening_port_comes_from_the_control_fd_and_output_is_streamed(tmp_path: Path) -> None:
    """wait_listening returns the port workerd reports; stdout lines reach the callback."""
    lines: list[tuple[str, str]] = []
    listener = listen_socket(0)
    binary, config = fake_workerd(tmp_path, "serve")
    process = start_workerd(binary, config, listener=listener, environ={}, on_output=lambda s, l: lines.append((s, l)))
    try:
        assert process.wait_listening(10) == listener.getsockname()[1]
    finally:
        process.stop()
        listener.close()
    assert ("stdout", "hello from the fake") in lines
    assert not process.running()


def test_a_crash_before_listening_reports_its_stderr(tmp_path: Path) -> None:
    """A workerd that exits at start-up (bad config, top-level throw) gives its exit code and last lines."""
    listener = listen_socket(0)
    binary, config = fake_workerd(tmp_path, "crash")
    process = start_workerd(binary, config, listener=listener, environ={}, on_output=lambda s, l: None)
    with pytest.raises(ToolError, match=r"workerd exited \(code 1\) before it started serving") as info:
        process.wait_listening(10)
    listener.close()
    assert "its output is above" in info.value.message


def test_sigterm_then_sigkill_after_the_grace_period(tmp_path: Path) -> None:
    """A workerd that ignores SIGTERM (a stuck request) is killed once the grace period is over."""
    listener = listen_socket(0)
    binary, config = fake_workerd(tmp_path, "stubborn")
    process = start_workerd(binary, config, listener=listener, environ={}, on_output=lambda s, l: None)
    process.wait_listening(10)
    started = time.monotonic()
    process.stop(grace=0.3)
    listener.close()
    assert not process.running() and process.proc.returncode == -9
    assert 0.25 < time.monotonic() - started < 5


def test_a_port_in_use_is_a_user_error() -> None:
    """--port N on a taken port says so and how to pick another."""
    taken = listen_socket(0)
    try:
        with pytest.raises(UserError, match="already in use") as info:
            listen_socket(taken.getsockname()[1])
        assert "--port" in (info.value.hint or "")
    finally:
        taken.close()


def test_a_binary_that_cannot_be_executed_is_a_tool_error(tmp_path: Path) -> None:
    """A missing or non-executable workerd path gives a ToolError, not a traceback."""
    listener = listen_socket(0)
    try:
        with pytest.raises(ToolError, match="could not run"):
            start_workerd(tmp_path / "missing", tmp_path / "c.capnp", listener=listener, environ={},
                          on_output=lambda s, l: None)
    finally:
        listener.close()
