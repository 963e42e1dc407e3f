"""Reading workerd's output: the facade's records become request logs, the rest is the Worker's (pure).

The facade (`cfworker.dev.js`) prints one line per request and per uncaught exception:
RECORD_MARK followed by JSON. Every other line on workerd's stdout/stderr is `console.log`
output or workerd's own messages, shown as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cfworker.dev.js import RECORD_MARK

# HTTP reason phrases for the request log (the facade only knows the status code).
_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the Worker answered."""

    method: str
    path: str
    status: int
    ms: int


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    """An exception the Worker did not catch, with its stack."""

    method: str
    path: str
    stack: str


Record = RequestRecord | ExceptionRecord


def parse_record(line: str) -> Record | None:
    """The facade record on this output line, or None for ordinary output."""
    if not line.startswith(RECORD_MARK):
        return None
    try:
        data = json.loads(line[len(RECORD_MARK):])
        if data["kind"] == "request":
            return RequestRecord(str(data["method"]), str(data["path"]), int(data["status"]), int(data["ms"]))
        if data["kind"] == "exception":
            return ExceptionRecord(str(data["method"]), str(data["path"]), str(data["stack"]))
    except (ValueError, KeyError, TypeError):
        pass
    return None


def format_request(record: RequestRecord) -> str:
    """`GET /api/hello 200 OK (3 ms)`, as the request log shows it."""
    reason = _REASONS.get(record.status, "")
    status = f"{record.status} {reason}" if reason else str(record.status)
    return f"{record.method} {record.path} {status} ({record.ms} ms)"


def status_color(status: int) -> str:
    """The UI colour for a status: green 2xx/3xx, yellow 4xx, red 5xx."""
    if status >= 500:
        return "red"
    if status >= 400:
        return "yellow"
    return "green"


def format_exception(record: ExceptionRecord) -> list[str]:
    """The lines shown for an uncaught exception: where it happened, then its stack."""
    return [f"uncaught exception in {record.method} {record.path}:", *record.stack.rstrip().splitlines()]
