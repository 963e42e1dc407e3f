"""The start-up check: boot a bundle in workerd before it is uploaded (issue 15).

A bundle that throws while its modules load (`No such module "node:os"`, `Dynamic require
of ...`, a top-level exception) builds fine and uploads fine, and then every request fails.
`check_startup` runs it in the pinned workerd with the project's compatibility date and
flags, the bindings `cfworker dev` provides locally (KV in a throw-away folder, vars,
required secrets as empty strings), and reports whether workerd started serving, within
`timeout`. Nothing is sent anywhere: workerd listens on 127.0.0.1 on a free port and is
stopped at once. `cfworker deploy` runs it between the build and the plan, so a bundle that
cannot start is refused with 0 API writes.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cfworker.bundle.model import Bundle
from cfworker.config.model import Project
from cfworker.dev.config import CONFIG_NAME, capnp_config, run_files
from cfworker.dev.logs import ExceptionRecord, parse_record
from cfworker.dev.process import listen_socket, start_workerd
from cfworker.dev.workerd import Workerd
from cfworker.errors import BundleError, ToolError

TIMEOUT = 10.0  # seconds for workerd to start serving; a healthy bundle takes ~0.1 s
_NOISE = ("workerd/server/server.c++", "kj/")  # workerd's own source locations before its message


@dataclass(frozen=True, slots=True)
class StartupResult:
    """Whether the bundle started, how long the check took, and what workerd said when it did not."""

    ok: bool
    ms: float
    output: tuple[str, ...] = ()

    @property
    def inconclusive(self) -> str | None:
        """Why a failed start says nothing about Cloudflare: a module only the production runtime has.

        Open-source workerd lacks some of Cloudflare's own modules (`cloudflare:email` imports
        `cloudflare-internal:email`, seen in cloudflare/templates nlweb-template); a bundle that
        fails only on one of those may well start on Cloudflare.
        """
        for line in self.output:
            found = re.search(r'No such module "(cloudflare(?:-internal)?:[^"]+)"', line)
            if found:
                return found.group(1)
        return None

    def error(self, project: Project, bundle: Bundle | None = None) -> BundleError:
        """The BundleError a deploy raises for a bundle that did not start (positions in the
        bundle followed by the source line they came from, when there is a source map)."""
        said = [line for line in self.output if line.strip()]
        if bundle is not None and bundle.sourcemap is not None:
            import os
            import posixpath

            from cfworker.bundle.sourcemap import map_positions

            base = posixpath.dirname(os.path.relpath(project.entry, project.root).replace(os.sep, "/")) or "."
            said = [map_positions(line, bundle.main_module, bundle.sourcemap.content, base) for line in said]
        cause = next((line for line in said if "Uncaught" in line or "No such module" in line
                      or "Error" in line), said[-1] if said else "it printed nothing")
        return BundleError(
            f"the bundle does not start in workerd (compatibility date {project.compatibility_date}): "
            f"{_clean(cause)}",
            notes=tuple(said[-12:]),
            hint="nothing was uploaded; fix the error above (`cfworker dev` shows it with the source), "
                 "or deploy with --no-check to skip this check")


def _clean(line: str) -> str:
    """workerd's message without its own source location prefix."""
    for marker in ("; ", ": "):
        if any(n in line for n in _NOISE) and marker in line:
            line = line.split(marker, 1)[1]
    return line.strip()


def check_startup(project: Project, bundle: Bundle, workerd: Workerd, *, environ: Mapping[str, str],
                  timeout: float = TIMEOUT) -> StartupResult:
    """Start the bundle in workerd and stop it again (see the module docstring)."""
    started = time.perf_counter()
    lines: list[str] = []

    def collect(_stream: str, line: str) -> None:
        record = parse_record(line)
        if isinstance(record, ExceptionRecord):
            lines.extend(record.stack.splitlines()[:4])
        elif record is None:
            lines.append(line)

    with tempfile.TemporaryDirectory(prefix="cfworker-check-") as tmp:
        folder = Path(tmp)
        secrets = {name: "" for name in project.secrets}
        config = capnp_config(project, bundle, secrets=secrets, kv_dir=folder / "kv",
                              supported_date=workerd.supported_date)
        (folder / "kv").mkdir()
        for name, data in run_files(bundle, config).items():
            (folder / name).write_bytes(data)
        listener = listen_socket(0)
        try:
            process = start_workerd(workerd.binary.path, folder / CONFIG_NAME, listener=listener,
                                    environ={**environ, **config.environment}, on_output=collect)
            try:
                process.wait_listening(timeout)
                ok = True
            except ToolError as exc:
                ok = False
                if not lines:
                    lines.append(exc.message)
            finally:
                process.stop(grace=1.0)
        finally:
            listener.close()
    return StartupResult(ok, (time.perf_counter() - started) * 1000, tuple(lines))
