"""AppContext: what every command needs, built once per run and passed in `ctx.obj`.

It is the test seam (as chalice's CLIFactory is): tests construct it with their own
environment mapping, working directory, streams and sleep function, and the commands
build clients, runners and projects only through it. Heavy modules are imported inside
the factory methods so `cfworker --help` stays fast.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfworker.ui import UI

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.bundle.model import Bundle
    from cfworker.bundle.runner import Runner
    from cfworker.bundle.tool import EsbuildBinary
    from cfworker.config.model import Project
    from cfworker.settings import Settings
    from cfworker.watch import WatchOptions


def current_directory() -> Path:
    """The working directory; a deleted one is a one-line error (every command needs it)."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        from cfworker.errors import UserError

        raise UserError("the current directory no longer exists (it was deleted or moved)",
                        hint="cd into the project again and rerun") from None


@dataclass
class AppContext:
    """Per-run state and factories shared by all commands."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=lambda: current_directory())
    ui: UI = field(default_factory=UI)
    debug: bool = False
    json_mode: bool = False
    config_path: Path | None = None
    env_name: str | None = None
    account_id_flag: str | None = None  # --account-id, shared by every command that calls the API
    sleep: Callable[[float], None] = time.sleep
    transport: Any = None  # an httpx transport for in-process tests; None = real network
    runner: Runner | None = None  # a process runner for tests; None = real subprocesses
    interactive: bool | None = None  # None: decide from the terminal and $CI
    watch_options: WatchOptions | None = None  # watch sessions: stop event, retry waits (tests)
    env_files: tuple[Path, ...] = ()  # --env-file; none given: wrangler's default .env files
    _dotenv_done: bool = False

    # -- switches set by option callbacks ----------------------------------------------
    def enable_debug(self) -> None:
        """Turn on --debug: tracebacks for unexpected errors and redacted HTTP traces."""
        if not self.debug:
            self.debug = True
            self.ui.debug_enabled = True
            self.ui.install_debug_logging()

    def enable_json(self) -> None:
        """Turn on --json: one JSON document on stdout, human lines on stderr."""
        if not self.json_mode:
            self.json_mode = True
            self.ui = UI(json_mode=True, debug=self.debug, out=self.ui._out, err=self.ui._err)

    @property
    def is_interactive(self) -> bool:
        """True when prompts are allowed: a terminal on stdin and not in CI."""
        if self.interactive is not None:
            return self.interactive
        if self.environ.get("CI", "").lower() in ("1", "true", "yes"):
            return False
        import sys

        return sys.stdin.isatty() and sys.stdout.isatty()

    def path(self, value: str | Path) -> Path:
        """A user-given path, relative to the working directory of this run."""
        p = Path(value)
        return p if p.is_absolute() else self.cwd / p

    # -- factories -----------------------------------------------------------------
    def load_project(self) -> Project:
        """Find, read and validate worker.toml (the --config path, else walk up from cwd)."""
        from cfworker.config.loader import load_project

        project, warnings = load_project(self.config_path, env=self.env_name, cwd=self.cwd)
        for warning in warnings:
            self.ui.warn(warning)
        return project

    def confirm_destructive(self, question: str, *, yes: bool) -> None:
        """The one confirmation rule of every destructive command: without a terminal, --yes is
        required (NeedsConfirmation, exit 2); a "no" stops it with nothing changed (Declined, exit 1,
        not reported as an error)."""
        from cfworker.errors import Declined, NeedsConfirmation

        if yes:
            return
        if not self.is_interactive:
            raise NeedsConfirmation(f"{question.rstrip('?')}: this needs confirmation", hint="rerun with --yes")
        import click

        if not click.confirm(question, default=False):
            raise Declined("Cancelled: nothing was changed.")

    def load_dotenv(self) -> list[Path]:
        """Add the variables of .env files to this run's environment, as wrangler does (its
        config/dot-env.ts): the --env-file paths, else `.env`, `.env.local`, `.env.<env>`,
        `.env.<env>.local` in the current folder, later files winning; a variable already set
        in the real environment wins over every file. Returns the files read (once per run)."""
        if self._dotenv_done:
            return []
        self._dotenv_done = True
        from cfworker.dev.devvars import parse_dev_vars

        names = [".env", ".env.local"] + ([f".env.{self.env_name}", f".env.{self.env_name}.local"]
                                          if self.env_name else [])
        paths = [self.path(p) for p in self.env_files] if self.env_files else [self.cwd / n for n in names]
        merged: dict[str, str] = {}
        read: list[Path] = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                if self.env_files:  # named on the command line: it must be there
                    from cfworker.errors import UserError

                    raise UserError(f"--env-file {path} does not exist", hint="check the path") from None
                continue
            except (OSError, UnicodeDecodeError) as exc:
                from cfworker.errors import UserError

                raise UserError(f"cannot read {path}: {exc}", hint="check the file") from None
            parsed = parse_dev_vars(text, source=str(path))
            for warning in parsed.warnings:
                self.ui.warn(warning)
            merged.update(parsed.values)
            read.append(path)
        if merged:
            from cfworker.redact import REDACTOR

            for key, value in merged.items():
                if key.endswith(("TOKEN", "KEY", "SECRET", "PASSWORD")):
                    REDACTOR.add(value)
            self.environ = {**merged, **self.environ}  # the real environment wins
            log.debug("environment: read %s", ", ".join(str(p) for p in read))
        return read

    def settings(self, *, project: Project | None = None, account_id_flag: str | None = None,
                 require_credentials: bool = True) -> Settings:
        """Resolve credentials, account and API root from flags, environment and worker.toml.

        One account rule for every command: --account-id > CLOUDFLARE_ACCOUNT_ID > account_id
        in worker.toml (the project's, or for commands without a project the one in the
        worker.toml that --config or the search finds) > the only account the credentials see.
        """
        from cfworker.settings import resolve_settings

        self.load_dotenv()
        config_account: str | None
        config_file: Path | None
        if project is not None:
            config_account, config_file = project.account_id, project.config_path
        else:
            from cfworker.config.loader import config_account_id

            config_account, config_file = config_account_id(self.config_path, env=self.env_name, cwd=self.cwd)
        settings = resolve_settings(
            self.environ,
            account_id_flag=account_id_flag if account_id_flag is not None else self.account_id_flag,
            project_account_id=config_account,
            project_path=config_file,
            require_credentials=require_credentials,
        )
        settings.log_sources()
        return settings

    def make_runner(self) -> Runner:
        """The process runner (esbuild, npm, [build] command); tests may inject one."""
        if self.runner is None:
            from cfworker.bundle.runner import SubprocessRunner

            self.runner = SubprocessRunner()
        return self.runner

    def find_esbuild(self, project: Project | None, *, install: bool = True) -> EsbuildBinary:
        """The esbuild binary to use (explicit, project node_modules, managed copy; installs it)."""
        from cfworker.bundle.tool import find_esbuild

        found = find_esbuild(
            project_root=project.root if project else None,
            configured=project.build.esbuild if project else None,
            environ=self.environ,
            runner=self.make_runner(),
            install=install,
            cwd=self.cwd,
            announce=self.ui.step,
        )
        for note in found.notes:
            self.ui.warn(note)
        return found

    def build_bundle(self, project: Project, *, outdir: Path | str | None = None,
                     tool: EsbuildBinary | None = None, check_size: bool = True) -> Bundle:
        """Bundle the project with esbuild; tool output is shown verbatim on stderr.

        With check_size, a bundle over the Workers size limit is a BundleError (nothing is
        uploaded) and one near the Free limit a warning.
        """
        from cfworker.bundle import build_project
        from cfworker.bundle.limits import check_size as size_verdict

        tool = tool or self.find_esbuild(project)
        bundle = build_project(
            project,
            outdir=(self.cwd / outdir) if outdir is not None else None,
            runner=self.make_runner(),
            esbuild_path=tool.path,
            log=self.ui.passthrough,
            color=self.ui.color,
            environ=self.environ,
            polyfills=self.node_polyfills(project),
        )
        for warning in bundle.warnings:
            self.ui.warn(warning)
        if check_size and (size_warning := size_verdict(bundle.gzip_size())) is not None:
            self.ui.warn(size_warning)
        return bundle

    def node_polyfills(self, project: Project) -> Path | None:
        """cfworker's copy of the Node.js polyfills when the project's build needs it (nodejs_compat
        v2, as in wrangler), installed with npm on first use."""
        from cfworker.bundle.esbuild import needs_polyfills

        if not needs_polyfills(project):
            return None
        from cfworker.bundle.polyfills import find_polyfills

        return find_polyfills(self.environ, runner=self.make_runner(), announce=self.ui.step)

    def startup_check(self, project: Project, bundle: Bundle, mode: str = "auto") -> float | None:
        """Boot the bundle in workerd before it is uploaded (cfworker.dev.startcheck); the ms it took
        (None when it did not run; the caller says so with `startup_line`).

        mode "auto" runs it when the pinned workerd is already installed (by `cfworker dev` or
        `cfworker workerd install`), "on" installs it first when needed, "off" skips. A bundle
        that does not start raises BundleError; where workerd cannot run, the check is skipped
        with a note (auto) or an error (on).
        """
        if mode == "off" or bundle.assets_only:  # an assets-only Worker has no code to start
            return None
        from cfworker.dev.startcheck import check_startup
        from cfworker.dev.workerd import check_host, find_workerd
        from cfworker.errors import CfWorkerError

        try:
            check_host()
            workerd = find_workerd(project_root=project.root, environ=self.environ, runner=self.make_runner(),
                                   cwd=self.cwd, install=mode == "on", announce=self.ui.step)
        except CfWorkerError as exc:
            if mode == "on":
                raise
            self.ui.step("Start-up check skipped: workerd is not installed (`cfworker workerd install` turns it "
                         "on; --no-check silences this)" if "not installed" in exc.message else
                         f"Start-up check skipped: {exc.message}")
            return None
        result = check_startup(project, bundle, workerd, environ=self.environ)
        if not result.ok and (module := result.inconclusive):
            self.ui.warn(f"start-up check inconclusive: the local workerd has no module {module!r}, which only "
                         "Cloudflare's runtime provides; deploying without the check")
            return None
        if not result.ok:
            raise result.error(project, bundle)
        return result.ms

    @staticmethod
    def startup_line(ms: float) -> str:
        return f"Start-up check: the bundle started in workerd in {ms:.0f} ms"

    def make_client(self, settings: Settings) -> CloudflareClient:
        """An API client for these settings (tests inject a transport and a sleep)."""
        from cfworker.api.client import CloudflareClient, RateBudget

        limit, window = settings.rate_limit
        return CloudflareClient(
            settings.credentials,
            base_url=settings.api_base_url.value,
            transport=self.transport,
            timeout=settings.request_timeout,
            sleep=self.sleep,
            budget=RateBudget(limit, window, sleep=self.sleep),
            on_retry=self.ui.step,
        )

    def account_id(self, settings: Settings, client: CloudflareClient) -> str:
        """The account to act on: configured, else the only one the credentials can see."""
        if settings.account_id is not None:
            return settings.account_id.value
        from cfworker.api.accounts import choose_account, list_accounts
        from cfworker.errors import UserError

        accounts = list_accounts(client)
        only = choose_account(accounts)
        if only is not None:
            import logging

            logging.getLogger(__name__).debug("account id %s: the only account these credentials see", only.id)
            return only.id
        if not accounts:
            raise UserError("these credentials see no Cloudflare account",
                            hint="set CLOUDFLARE_ACCOUNT_ID, or give the token access to an account")
        listing = ", ".join(f"{a.name} ({a.id})" for a in accounts[:5])
        raise UserError(f"these credentials see {len(accounts)} accounts; which one? {listing}",
                        hint="set CLOUDFLARE_ACCOUNT_ID or account_id in worker.toml, or pass --account-id")
