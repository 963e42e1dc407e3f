"""The dev session's decisions, without workerd: .dev.vars files, identity of a version, reloads that fail."""

from __future__ import annotations

import io
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import Project
from cfworker.dev.session import DEFAULT_PORT, DevSession, read_dev_vars, watch_targets
from cfworker.dev.workerd import Workerd
from cfworker.errors import BundleError, ConfigError
from cfworker.tools.spec import ToolBinary
from cfworker.ui import UI
from cfworker.watcher import ChangeSet
from tests.unit.bundle.helpers import make_project


@dataclass
class FakeBuilder:
    """Loads a fixed project and "builds" whatever `code` holds, or raises `error`."""

    project: Project
    code: bytes = b"export default {}"
    error: Exception | None = None
    builds: list[Path] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.project.config_path

    def load(self) -> Project:
        if isinstance(self.error, ConfigError):
            raise self.error
        return self.project

    def build(self, project: Project, outdir: Path) -> Bundle:
        self.builds.append(outdir)
        if isinstance(self.error, BundleError):
            raise self.error
        src = project.root / "src" / "index.js"
        return Bundle("index.js", (Module("index.js", self.code, "esm"),), None, outdir, inputs=(src,))


def session_for(tmp_path: Path, builder: FakeBuilder) -> tuple[DevSession, io.StringIO]:
    out = io.StringIO()
    ui = UI(out=out, err=out, color=False)
    workerd = Workerd(ToolBinary(tmp_path / "workerd", "test"), "2026-11-17")
    return DevSession(builder, ui=ui, workerd=workerd, environ={}), out


def test_dev_vars_for_an_env_win_and_a_missing_file_means_no_secrets(tmp_path: Path) -> None:
    """.dev.vars.staging is read for --env staging; without any file there are no secrets."""
    assert read_dev_vars(make_project(tmp_path)).values == {}
    (tmp_path / ".dev.vars").write_text("A=plain\n")
    (tmp_path / ".dev.vars.staging").write_text("A=staged\n")
    assert read_dev_vars(make_project(tmp_path)).values == {"A": "plain"}
    assert read_dev_vars(make_project(tmp_path, env="staging")).values == {"A": "staged"}
    assert read_dev_vars(make_project(tmp_path, env="prod")).values == {"A": "plain"}


def test_a_version_changes_identity_with_code_or_secrets_only(tmp_path: Path) -> None:
    """Rebuilding identical code is recognised as unchanged; a new secret or new code is not."""
    builder = FakeBuilder(make_project(tmp_path))
    session, _ = session_for(tmp_path, builder)
    first = session.prepare(builder.project)
    assert session.prepare(builder.project).key == first.key
    (tmp_path / ".dev.vars").write_text("TOKEN=x\n")
    with_secret = session.prepare(builder.project)
    assert with_secret.key != first.key and with_secret.config.environment == {"CFWORKER_DEV_SECRET_0": "x"}
    builder.code = b"export default { fetch() {} }"
    assert session.prepare(builder.project).key != with_secret.key
    assert builder.builds[0] == tmp_path / ".cfworker" / "dev" / "build"


@pytest.mark.parametrize(
    ("error", "change"),
    [(BundleError("esbuild could not bundle src/index.js (exit 1)"), ChangeSet(paths=(Path("src/index.js"),))),
     (ConfigError("worker.toml has 1 problem"), ChangeSet(config=True))],
)
def test_failed_reload_keeps_the_running_version(tmp_path: Path, error: Exception, change: ChangeSet) -> None:
    """A build or config error is shown and nothing is restarted."""
    builder = FakeBuilder(make_project(tmp_path))
    session, out = session_for(tmp_path, builder)
    session.current = session.prepare(builder.project)
    session.url = "http://127.0.0.1:1"
    good = session.current
    builder.error = error
    session.reload(change)
    assert session.current is good and session.process is None
    text = out.getvalue()
    assert f"error: {error}" in text and "the last good version keeps serving on http://127.0.0.1:1" in text


def test_unchanged_rebuild_restarts_nothing(tmp_path: Path) -> None:
    """Saving a file without changing the bundle is reported and costs no restart."""
    builder = FakeBuilder(make_project(tmp_path))
    session, out = session_for(tmp_path, builder)
    session.current = session.prepare(builder.project)
    session.reload(ChangeSet(paths=(tmp_path / "README.md",)))
    assert "the Worker is unchanged, nothing to restart" in out.getvalue()
    assert session.process is None


def test_default_port_falls_back_to_a_free_one(tmp_path: Path) -> None:
    """Without --port, 8787 is used when free; when taken, any free port, and the user is told."""
    try:
        blocker = socket.create_server(("127.0.0.1", DEFAULT_PORT))
    except OSError:
        pytest.skip(f"port {DEFAULT_PORT} is in use on this machine")
    session, out = session_for(tmp_path, FakeBuilder(make_project(tmp_path)))
    try:
        listener = session._listen(None)
        assert listener.getsockname()[1] not in (0, DEFAULT_PORT)
        listener.close()
    finally:
        blocker.close()
    assert f"port {DEFAULT_PORT} is in use; serving on a free port instead" in out.getvalue()


def test_watch_targets_include_the_dev_vars_files(tmp_path: Path) -> None:
    """Editing .dev.vars (or .dev.vars.<env>) reloads the secrets like a source change."""
    (tmp_path / "src").mkdir()
    builder = FakeBuilder(make_project(tmp_path, env="staging"))
    session, _ = session_for(tmp_path, builder)
    session.current = session.prepare(builder.project)
    targets = watch_targets(session)
    real = tmp_path.resolve()
    assert {real / ".dev.vars", real / ".dev.vars.staging"} <= targets.files
    assert real / "src" in targets.trees


def test_while_worker_toml_is_broken_every_save_shows_its_error(tmp_path: Path) -> None:
    """A source save after a config error reloads worker.toml again instead of building with the old one."""
    builder = FakeBuilder(make_project(tmp_path))
    session, out = session_for(tmp_path, builder)
    session.current = session.prepare(builder.project)
    builder.error = ConfigError("worker.toml has 1 problem")
    session.reload(ChangeSet(config=True))
    builds = len(builder.builds)
    session.reload(ChangeSet(paths=(tmp_path / "src" / "index.js",)))
    assert out.getvalue().count("error: worker.toml has 1 problem") == 2
    assert len(builder.builds) == builds  # nothing was built against the stale config


def test_dot_env_files_are_the_local_secrets_when_there_is_no_dev_vars(tmp_path: Path) -> None:
    """As wrangler dev: no .dev.vars -> .env, .env.local (and .env.<env>...) with later files winning;
    cfworker's own CLOUDFLARE_* settings stay out of the Worker; .dev.vars wins when it exists."""
    (tmp_path / ".env").write_text("API_KEY=base\nCLOUDFLARE_API_TOKEN=tok\nOTHER=1\n")
    (tmp_path / ".env.local").write_text("API_KEY=local\n")
    (tmp_path / ".env.staging").write_text("API_KEY=staging\n")
    assert read_dev_vars(make_project(tmp_path)).values == {"API_KEY": "local", "OTHER": "1"}
    assert read_dev_vars(make_project(tmp_path, env="staging")).values["API_KEY"] == "staging"
    assert read_dev_vars(make_project(tmp_path), {"CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV": "false"}).values == {}
    (tmp_path / ".dev.vars").write_text("API_KEY=devvars\n")
    assert read_dev_vars(make_project(tmp_path)).values == {"API_KEY": "devvars"}


def test_declared_secrets_limit_what_is_loaded(tmp_path: Path) -> None:
    (tmp_path / ".dev.vars").write_text("API_KEY=1\nSTRAY=2\n")
    assert read_dev_vars(make_project(tmp_path, secrets=("API_KEY",))).values == {"API_KEY": "1"}
