"""What each uploaded asset part is labelled with (research-16 A4: mime v4, charset for text, application/null)."""

from __future__ import annotations

import pytest

from cfworker.assets.upload import content_type


@pytest.mark.parametrize(("path", "expected"), [
    ("/index.html", "text/html; charset=utf-8"),
    ("/app.js", "text/javascript; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/logo.png", "image/png"),
    ("/logo.SVG", "image/svg+xml"),
    ("/font.woff2", "font/woff2"),
    ("/data.json", "application/json"),
    ("/foobar.greg", "application/null"),  # unknown extension: served without a Content-Type
    ("/LICENSE", "application/null"),
    ("/.well-known/x", "application/null"),
])
def test_content_type(path: str, expected: str) -> None:
    assert content_type(path) == expected
