"""Keeps secret values out of everything cfworker prints or logs (pure).

Settings register every secret they resolve (API token, global key, secret values read
for upload); `redact()` replaces each registered value in a text with a fixed marker. The
terminal writer (`ui`) and the `--debug` log handler pass every line through it, so a
secret that slips into an exception message or a URL is still never shown. A password in a
URL (`https://user:pass@proxy/...`, say in CLOUDFLARE_API_BASE_URL) is masked whether or
not it was registered, and the `--debug` formatter masks tracebacks too.
"""

from __future__ import annotations

import logging
import re

MARKER = "<redacted>"
_MIN_LEN = 4  # shorter values would redact ordinary words; such "secrets" are refused earlier
# scheme://user:password@host: the password part, wherever a URL shows up in a message.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*:)([^\s/@]+)(@)")


class Redactor:
    """A set of secret strings and a function that masks them in any text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Remember a secret (and its stripped form) so later output masks it."""
        if not secret:
            return
        for value in {secret, secret.strip()}:
            if len(value) >= _MIN_LEN and value not in self._secrets:
                self._secrets.add(value)
                self._pattern = None

    def redact(self, text: str) -> str:
        """Return text with every known secret (and every password in a URL) replaced by the marker."""
        if not text:
            return text
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: m.group(1) + MARKER + m.group(3), text)
        if not self._secrets:
            return text
        if self._pattern is None:
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern.sub(MARKER, text)

    def clear(self) -> None:
        """Forget every secret (tests use this between runs)."""
        self._secrets.clear()
        self._pattern = None


# One per process: the log handler and the terminal writer both need the same set, and a
# secret must stay masked even in code that was not handed a Redactor explicitly.
REDACTOR = Redactor()


def redact(text: str) -> str:
    """Mask every registered secret in text."""
    return REDACTOR.redact(text)


class RedactingFilter(logging.Filter):
    """A logging filter that renders the record once and masks secrets in the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output, an exception's traceback included, is masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
