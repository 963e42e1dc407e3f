"""The fake_cf fixture fails a test that sends schema-violating requests, unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TEST_FILE = """
import httpx
import pytest

def _bad(fake):
    httpx.post(f"{fake.base_url}/accounts/{fake.account_id}/storage/kv/namespaces", json={"nope": 1},
               headers={"Authorization": f"Bearer {fake.token}"})

def test_sends_bad_body(fake_cf):
    _bad(fake_cf)

@pytest.mark.fake_cf_schema_violations
def test_marked(fake_cf):
    _bad(fake_cf)

def test_expected(fake_cf):
    fake_cf.expect_schema_violations()
    _bad(fake_cf)

def test_clean(fake_cf):
    httpx.get(f"{fake_cf.base_url}/zones", headers={"Authorization": f"Bearer {fake_cf.token}"})
"""


def test_schema_violation_fails_the_test_at_teardown(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the unmarked test that sent a bad body is reported, naming the violation."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(test_violations=TEST_FILE)
    result = pytester.runpytest_subprocess("-p", "tests.fakes.plugin", "-p", "no:cacheprovider",
                                           "--rootdir", str(pytester.path))
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*test_sends_bad_body*", "*requests rejected by the Cloudflare OpenAPI schema*",
                                 "*'title' is a required property*"])
