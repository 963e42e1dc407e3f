"""multipart/form-data parsing and building for the fake API, byte-exact.

The stdlib `email` parser can rewrite line endings inside parts, so uploads are split on the
boundary by hand: every part keeps exactly the bytes the client sent (tests assert on them).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass
class Part:
    """One form part: its field name, optional filename, content type and raw bytes."""

    name: str
    filename: str | None
    content_type: str | None  # None when the part had no Content-Type header
    data: bytes = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    def text(self) -> str:
        """The part decoded as UTF-8."""
        return self.data.decode("utf-8")


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `form-data; name="x"; filename="y"` into ('form-data', {name, filename})."""
    main, _, _ = value.partition(";")
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key.lower()] = raw.replace("%22", '"')
    return main.strip().lower(), params


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type header."""
    kind, params = header_params(content_type)
    if not kind.startswith("multipart/") or not params.get("boundary"):
        raise MultipartError(f"not a multipart body (Content-Type: {content_type or 'absent'})")
    return params["boundary"]


def parse(content_type: str, body: bytes) -> list[Part]:
    """Parse a multipart body into parts, keeping each part's bytes unchanged."""
    boundary = boundary_of(content_type).encode("latin-1")
    delimiter = b"\r\n--" + boundary
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3:
        raise MultipartError("multipart body has no parts (boundary not found)")
    if not chunks[-1].startswith(b"--"):
        raise MultipartError("multipart body is missing its closing boundary")
    parts: list[Part] = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n"):
            raise MultipartError("malformed boundary line")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("part without header/body separator")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if not line:
                continue
            key, colon, value = line.partition(":")
            if not colon:
                raise MultipartError(f"malformed part header line {line!r}")
            headers[key.strip().lower()] = value.strip()
        disposition, params = header_params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in params:
            raise MultipartError("part without Content-Disposition: form-data; name=...")
        ctype = headers.get("content-type")
        parts.append(Part(params["name"], params.get("filename"), ctype.split(";")[0].strip().lower() if ctype else None,
                          data, headers))
    return parts


def build(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[str, bytes]:
    """Encode (name, filename, content_type, data) tuples; returns (Content-Type, body)."""
    boundary = "fakecf" + secrets.token_hex(12)
    out = bytearray()
    for name, filename, ctype, data in parts:
        out += f"--{boundary}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += disp.encode() + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)
