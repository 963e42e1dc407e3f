"""The cfworker error tree and the exit code each kind of failure maps to (pure).

    CfWorkerError                 exit 1 unless a subclass says otherwise
    +-- UserError                 the user must fix something (exit 2)
    |   +-- ConfigError           worker.toml problems, rendered together from Diagnostics
    |   +-- CredentialsError      no usable credentials in the environment
    +-- BundleError               esbuild or the [build] command failed (exit 1)
    +-- ToolError                 esbuild/workerd could not be found or installed (exit 1)
    +-- RemoteError               the Cloudflare API or the network failed (exit 1)
    +-- PartialFailure            some remote writes were applied, others not (exit 3)
    +-- Interrupted               Ctrl-C or SIGTERM (exit 130)

Only `cfworker.cli.main` catches these; library code raises them with a message that says
what failed and where, and a hint that says what to do next. Messages never contain secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


class CfWorkerError(Exception):
    """Base of every error cfworker reports to the user without a traceback."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None, notes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.notes = tuple(notes)

    def __str__(self) -> str:
        return self.message


class UserError(CfWorkerError):
    """Bad flags, bad config or missing input: nothing was sent anywhere."""

    exit_code = EXIT_USAGE


class ConfigError(UserError):
    """A config file (worker.toml or a wrangler config) with one or more problems, each a note.
    `file` and `problems` (file, key, line, message and hint of each) are set when the problems
    are known key by key (cfworker.config.diagnostics), for the --json error document."""

    file: str | None = None
    problems: tuple[dict[str, object], ...] = ()


class NeedsConfirmation(UserError):
    """A destructive change asked for without --yes where nobody can answer a prompt: exit 2 in every
    command (deploy, kv namespace delete, secret delete, dns delete, purge --everything)."""


class Declined(CfWorkerError):
    """The user answered no: nothing was changed. Not an error: reported as a plain line, exit 1."""

    exit_code = EXIT_FAILED


class CredentialsError(UserError):
    """No usable Cloudflare credentials were found, or they are malformed."""


class BundleError(CfWorkerError):
    """The user's code did not build (esbuild error, failing [build] command)."""


class ToolError(CfWorkerError):
    """A tool cfworker runs (esbuild, workerd, npm) is missing, broken or failed to install."""


class RemoteError(CfWorkerError):
    """The Cloudflare API refused a request, or the network failed."""


class PartialFailure(CfWorkerError):
    """Some remote changes were applied before a later one failed; a rerun finishes the job."""

    exit_code = EXIT_PARTIAL


class Interrupted(CfWorkerError):
    """The user pressed Ctrl-C or the process got SIGTERM."""

    exit_code = EXIT_INTERRUPTED
