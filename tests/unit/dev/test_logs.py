"""workerd output: facade records become request-log lines; everything else is the Worker's own output."""

from __future__ import annotations

import json

import pytest

from cfworker.dev.js import FACADE_MODULE, RECORD_MARK, facade_source
from cfworker.dev.logs import (
    ExceptionRecord,
    RequestRecord,
    format_exception,
    format_request,
    parse_record,
    status_color,
)


def line(**fields: object) -> str:
    return RECORD_MARK + json.dumps(fields)


def test_request_record_is_parsed_and_formatted() -> None:
    """A request record shows method, path with query, status with reason, and time."""
    record = parse_record(line(kind="request", method="GET", path="/api?x=1", status=200, ms=3))
    assert record == RequestRecord("GET", "/api?x=1", 200, 3)
    assert format_request(record) == "GET /api?x=1 200 OK (3 ms)"
    assert format_request(RequestRecord("POST", "/", 599, 12)) == "POST / 599 (12 ms)"


def test_exception_record_shows_where_and_the_stack() -> None:
    """An uncaught exception is reported with the request it happened in, then its stack lines."""
    record = parse_record(line(kind="exception", method="GET", path="/boom",
                               stack="Error: boom\n    at Object.fetch (index.js:5:13)\n"))
    assert isinstance(record, ExceptionRecord)
    assert format_exception(record) == ["uncaught exception in GET /boom:", "Error: boom",
                                        "    at Object.fetch (index.js:5:13)"]


@pytest.mark.parametrize(
    "text",
    ["hello from console.log", RECORD_MARK + "not json", RECORD_MARK + '{"kind": "other"}',
     RECORD_MARK + '{"kind": "request"}', ' ' + RECORD_MARK + '{"kind": "request"}'],
)
def test_other_lines_are_not_records(text: str) -> None:
    """Worker output, and anything malformed, is passed through rather than misread."""
    assert parse_record(text) is None


@pytest.mark.parametrize(("status", "color"), [(200, "green"), (304, "green"), (404, "yellow"), (503, "red")])
def test_status_colors(status: int, color: str) -> None:
    """2xx/3xx green, 4xx yellow, 5xx red."""
    assert status_color(status) == color


def test_facade_imports_the_main_module_and_uses_the_same_mark() -> None:
    """The facade re-exports the bundle's entry and writes records the parser recognises."""
    source = facade_source("worker.mjs")
    assert 'import * as worker from "./worker.mjs";' in source
    assert 'export * from "./worker.mjs";' in source
    assert f"const MARK = {json.dumps(RECORD_MARK)};" in source
    assert json.dumps(FACADE_MODULE) in source and "__MAIN__" not in source and "__FACADE__" not in source
