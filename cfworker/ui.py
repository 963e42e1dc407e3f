"""The only module that writes to the terminal.

Commands and the deploy pipeline report through a `UI` handed to them; library code
returns values or raises. Every line passes through the secret redactor. With `--json`
the machine-readable object goes to stdout and all human lines go to stderr, so CI can
pipe stdout into `jq` while still seeing progress.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from typing import IO, Any

from cfworker.errors import CfWorkerError
from cfworker.redact import RedactingFilter, RedactingFormatter, redact

_COLORS = {"red": "31", "yellow": "33", "green": "32", "cyan": "36", "dim": "2", "bold": "1"}


def _wants_color(stream: IO[str], environ: os._Environ[str] | dict[str, str]) -> bool:
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class UI:
    """Terminal writer with levels, optional colour and a JSON mode."""

    def __init__(
        self,
        *,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        json_mode: bool = False,
        quiet: bool = False,
        debug: bool = False,
        color: bool | None = None,
    ) -> None:
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self._out_closed = False
        self.json_mode = json_mode
        self.json_emitted = False  # a command wrote its document: an error after it adds no second one
        self.quiet = quiet
        self.debug_enabled = debug
        # Human output goes to stdout normally, to stderr when stdout carries JSON.
        self._human = self._err if json_mode else self._out
        self._color = _wants_color(self._human, os.environ) if color is None else color

    # -- styling -----------------------------------------------------------------
    def style(self, text: str, color: str) -> str:
        """Wrap text in an ANSI colour when colour is on."""
        if not self._color:
            return text
        return f"\x1b[{_COLORS[color]}m{text}\x1b[0m"

    def _write(self, stream: IO[str], text: str) -> None:
        if stream is self._out and self._out_closed:
            return
        try:
            stream.write(redact(text) + "\n")
            stream.flush()
        except BrokenPipeError:
            # `cfworker deploy | head`: the reader went away. A deploy in flight must finish, so
            # output to that stream is dropped from here on instead of aborting the command.
            self._closed(stream)

    def _closed(self, stream: IO[str]) -> None:
        if stream is self._out:
            self._out_closed = True
        try:  # point the descriptor at /dev/null so the interpreter's final flush is quiet too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    # -- levels ------------------------------------------------------------------
    def info(self, message: str) -> None:
        """A normal progress or result line."""
        if not self.quiet:
            self._write(self._human, message)

    def lines(self, lines: Iterable[str]) -> None:
        """Several info lines at once (rendered plans, tables)."""
        for line in lines:
            self.info(line)

    def success(self, message: str) -> None:
        """A line that reports something done."""
        if not self.quiet:
            self._write(self._human, self.style(message, "green"))

    def step(self, message: str) -> None:
        """A line that announces work in progress."""
        if not self.quiet:
            self._write(self._human, self.style(message, "dim"))

    def progress(self, message: str | None) -> None:
        """A status line that rewrites itself on a terminal (a progress bar); None clears it. Off a
        terminal (CI logs, pipes) nothing is written: the caller ends with one summary line."""
        isatty = getattr(self._human, "isatty", None)
        if self.quiet or self.json_mode or not (isatty and isatty()):
            return
        try:
            self._human.write("\r\x1b[2K" + (redact(message) if message else ""))
            self._human.flush()
        except (BrokenPipeError, ValueError):
            pass

    def warn(self, message: str) -> None:
        """A warning, always on stderr."""
        self._write(self._err, self.style("warning:", "yellow") + " " + message)

    def error(self, message: str, *, notes: Iterable[str] = (), hint: str | None = None) -> None:
        """An error with optional indented notes and a hint, always on stderr."""
        self._write(self._err, self.style("error:", "red") + " " + message)
        for note in notes:
            self._write(self._err, "  " + note)
        if hint:
            self._write(self._err, self.style("hint:", "cyan") + " " + hint)

    def report(self, exc: CfWorkerError) -> None:
        """Print a CfWorkerError the way every command does (a declined prompt is no error)."""
        from cfworker.errors import Declined

        if isinstance(exc, Declined):
            self.info(exc.message)
            return
        self.error(exc.message, notes=exc.notes, hint=exc.hint)

    def write_bytes(self, data: bytes) -> None:
        """Raw bytes on stdout (e.g. a KV value), unchanged; never redacted or decorated."""
        buffer = getattr(self._out, "buffer", None)
        if buffer is not None:
            self._out.flush()
            buffer.write(data)
            buffer.flush()
        else:
            self._out.write(data.decode("utf-8", errors="replace"))
            self._out.flush()

    def passthrough(self, text: str) -> None:
        """Tool output shown as the tool printed it (esbuild's carets), on stderr."""
        self._write(self._err, text)

    @property
    def color(self) -> bool:
        """Whether ANSI colour is on for human output."""
        return self._color

    def emit_json_line(self, payload: Any) -> None:
        """One compact JSON document on its own line of stdout (a stream of events: `watch --json`)."""
        self.json_emitted = True
        self._write(self._out, json.dumps(payload, separators=(",", ":"), default=str))

    def emit_json(self, payload: Any) -> None:
        """Write one JSON document to stdout (the only thing on stdout in --json mode)."""
        self.json_emitted = True
        self._write(self._out, json.dumps(payload, indent=2, sort_keys=False, default=str))

    # -- debug logging -------------------------------------------------------------
    def install_debug_logging(self) -> None:
        """Route `logging` records of cfworker to stderr, secrets masked (only with --debug)."""
        handler = logging.StreamHandler(self._err)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(RedactingFormatter("debug: %(name)s: %(message)s"))
        logger = logging.getLogger("cfworker")
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False


def human_size(n: int) -> str:
    """Format a byte count the way the build and deploy summaries do (1.2 KiB, 3.4 MiB)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
