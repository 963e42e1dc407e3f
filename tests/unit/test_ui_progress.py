"""The progress line: rewritten in place on a terminal, silent in logs and with --json."""

from __future__ import annotations

import io

from cfworker.ui import UI


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    out = Tty()
    ui = UI(out=out, err=io.StringIO(), color=False)
    ui.progress("assets [#...] 1/4 files")
    ui.progress("assets [####] 4/4 files")
    ui.progress(None)
    assert out.getvalue() == "\r\x1b[2Kassets [#...] 1/4 files\r\x1b[2Kassets [####] 4/4 files\r\x1b[2K"


def test_progress_writes_nothing_off_a_terminal_or_in_json_mode() -> None:
    log, tty = io.StringIO(), Tty()
    UI(out=log, err=io.StringIO(), color=False).progress("x")
    UI(out=io.StringIO(), err=tty, json_mode=True, color=False).progress("x")
    assert log.getvalue() == "" and tty.getvalue() == ""


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    from cfworker.ui import _wants_color

    assert _wants_color(Tty(), {}) is True
    assert _wants_color(Tty(), {"NO_COLOR": "1"}) is False
    assert _wants_color(io.StringIO(), {}) is False  # a pipe or a CI log
