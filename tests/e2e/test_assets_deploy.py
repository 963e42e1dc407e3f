"""[assets] deploys against the fake: only missing files are uploaded, with the session's JWT, before
the script that redeems the completion token; an unchanged tree sends nothing (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfworker.assets.manifest import asset_hash
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild

SESSION = "/accounts/*/workers/scripts/*/assets-upload-session"
UPLOAD = "/accounts/*/workers/assets/upload"
WORKER = ('export default { async fetch(request, env) { const url = new URL(request.url);\n'
          '  if (url.pathname.startsWith("/api/")) return Response.json({ ok: true });\n'
          '  return env.ASSETS.fetch(request); } };\n')



def site(root: Path, *, main: bool = True, extra: str = "") -> Path:
    public = root / "public"
    (public / "docs").mkdir(parents=True)
    (public / "index.html").write_text("<h1>home</h1>")
    (public / "about.html").write_text("<h1>about</h1>")
    (public / "docs" / "index.html").write_text("<h1>docs</h1>")
    (public / "draft.psd").write_bytes(b"layers")
    (public / ".assetsignore").write_text("*.psd\n")
    (public / "_headers").write_text("/*\n  X-Frame-Options: DENY\n")
    text = 'name = "site"\ncompatibility_date = "2025-06-01"\n'
    if main:
        (root / "src").mkdir()
        (root / "src" / "index.js").write_text(WORKER)
        text += 'main = "src/index.js"\n'
    text += extra + '[assets]\ndirectory = "public"\n' + ('binding = "ASSETS"\nrun_worker_first = ["/api/*"]\n'
                                                             if main else 'not_found_handling = "404-page"\n')
    (root / "worker.toml").write_text(text)
    return root


def uploaded_hashes(fake_cf, since: int = 0) -> list[str]:
    return [h for _jwt, hashes in fake_cf.asset_uploads[since:] for h in hashes]


def test_first_deploy_uploads_every_file_then_an_unchanged_one_writes_nothing(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path)
    first = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert first.code == 0, first
    assert "assets: 3 files, 3 new" in first.out and "3 unchanged" not in first.out
    # off a terminal: no progress bar, one summary line
    assert "assets: uploaded 3 file(s) (40 B), 0 already on Cloudflare" in first.out and "\r" not in first.out
    assert sorted(uploaded_hashes(fake_cf)) == sorted(
        {asset_hash(b"<h1>home</h1>", "index.html"), asset_hash(b"<h1>about</h1>", "about.html"),
         asset_hash(b"<h1>docs</h1>", "index.html")})
    live = fake_cf.script_assets("site")
    assert live is not None and sorted(live.manifest) == ["/about.html", "/docs/index.html", "/index.html"]
    assert live.config == {"run_worker_first": ["/api/*"], "_headers": "/*\n  X-Frame-Options: DENY\n"}
    meta = fake_cf.scripts["site"].metadata
    assert {"type": "assets", "name": "ASSETS"} in meta["bindings"]
    # each bucket went up with its session's JWT: the fake refuses the API token on that endpoint
    assert {jwt for jwt, _ in fake_cf.asset_uploads} <= {s.jwt for s in fake_cf.asset_sessions}

    before = len(fake_cf.writes())
    again = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert again.code == 0, again
    assert fake_cf.writes()[before:] == [] and "script unchanged" in again.out


def test_one_changed_file_uploads_exactly_that_file(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path)
    assert run_cli(["deploy", "--no-check"], env=env, cwd=project).code == 0
    since = len(fake_cf.asset_uploads)
    (project / "public" / "about.html").write_text("<h1>about us</h1>")
    r = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert r.code == 0, r
    assert "assets: 3 files, 1 new" in r.out and "2 unchanged" in r.out
    assert uploaded_hashes(fake_cf, since) == [asset_hash(b"<h1>about us</h1>", "about.html")]
    assert fake_cf.script_assets("site").manifest["/about.html"]["hash"] == asset_hash(b"<h1>about us</h1>", "about.html")


def test_dry_run_says_how_many_files_are_new_and_uploads_none(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path)
    r = run_cli(["deploy", "--dry-run", "--no-check"], env=env, cwd=project)
    assert r.code == 0, r
    assert "assets: 3 files, 3 new" in r.out and "dry run: nothing was written" in r.out
    assert fake_cf.count("POST", SESSION) == 1 and fake_cf.asset_uploads == [] and "site" not in fake_cf.scripts


def test_dry_run_without_credentials_counts_the_files(tmp_path: Path, esbuild_cache: Path) -> None:
    project = site(tmp_path)
    r = run_cli(["deploy", "--dry-run", "--no-check"], env={"CFWORKER_CACHE_DIR": str(esbuild_cache)}, cwd=project)
    assert r.code == 0, r
    assert "assets: 3 files (" in r.out


def test_a_file_over_25_mib_is_refused_before_any_write(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path)
    (project / "public" / "video.mp4").write_bytes(b"\0" * (26 * 1024 * 1024))
    r = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert r.code == 1, r
    assert "public/video.mp4 is 26.0 MiB" in r.err and ".assetsignore" in r.err
    assert fake_cf.writes() == []


def test_an_assets_only_worker_uploads_no_code(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path, main=False)
    (project / "public" / "404.html").write_text("gone")
    r = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert r.code == 0, r
    assert "assets-only Worker" in r.out
    script = fake_cf.scripts["site"]
    assert script.modules == {} and "main_module" not in script.metadata
    assert fake_cf.script_assets("site").config["not_found_handling"] == "404-page"


def test_json_output_never_carries_an_assets_token(tmp_path: Path, env, fake_cf) -> None:
    project = site(tmp_path)
    r = run_cli(["deploy", "--no-check", "--json"], env=env, cwd=project)
    assert r.code == 0, r
    doc = json.loads(r.out)
    tokens = [s.jwt for s in fake_cf.asset_sessions] + [fake_cf.scripts["site"].metadata["assets"]["jwt"]]
    assert not any(t in r.out or t in r.err for t in tokens) and '"jwt"' not in r.out
    assets_step = next(s for s in doc["results"] if s["key"] == "assets")
    assert assets_step["uploaded"] == 3 and assets_step["status"] == "applied"


def test_buckets_go_up_in_parallel_and_a_failed_one_is_retried(tmp_path: Path, env, fake_cf) -> None:
    """Two files per bucket (a session of several buckets); one bucket answers 503 once: it is sent
    again and the deploy finishes with every file stored exactly once."""
    from tests.fakes import Status

    fake_cf.state.config.asset_bucket_max_files = 2
    project = site(tmp_path)
    for i in range(5):
        (project / "public" / f"p{i}.html").write_text(f"page {i}")
    failing = fake_cf.inject("POST", UPLOAD, Status(503), times=1)
    r = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert r.code == 0, r
    assert failing.fired == 1
    assert "assets: 8 files, 8 new" in r.out
    assert len(fake_cf.asset_store) == 8 and len(uploaded_hashes(fake_cf)) == 8
    assert sorted(fake_cf.script_assets("site").manifest)[:2] == ["/about.html", "/docs/index.html"]


def test_a_rerun_after_a_failed_script_upload_sends_only_what_is_missing(tmp_path: Path, env, fake_cf) -> None:
    """The files are stored, the script upload fails (exit 3, files written): the rerun's session asks
    for nothing, and its token goes into the upload."""
    from tests.fakes import Status

    project = site(tmp_path)
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/site", Status(400, code=10021), times=1)
    failed = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert failed.code == 3, failed
    stored = len(uploaded_hashes(fake_cf))
    rerun = run_cli(["deploy", "--no-check"], env=env, cwd=project)
    assert rerun.code == 0, rerun
    assert "assets: 3 files, 0 new, 3 unchanged" in rerun.out
    assert len(uploaded_hashes(fake_cf)) == stored == 3
    assert sorted(fake_cf.script_assets("site").manifest) == ["/about.html", "/docs/index.html", "/index.html"]
