"""Shared fixtures: a clean environment for every test, and the fake Cloudflare API."""

from __future__ import annotations

import logging
import os

import pytest

from cfworker.redact import REDACTOR

# The fake Cloudflare API: fixtures fake_cf, fake_cf_server, fake_cf_client.
pytest_plugins = ["tests.fakes.plugin"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop Cloudflare/cfworker variables so a developer's own credentials never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "CF_", "CFWORKER_", "WRANGLER_")) and name != "CFWORKER_CACHE_DIR":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    REDACTOR.clear()
    # A --debug run in an earlier in-process test installs a handler and stops propagation;
    # put the logger back so caplog sees records again.
    logger = logging.getLogger("cfworker")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)
