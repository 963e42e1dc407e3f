"""The deploy flags wrangler users type, applied over the loaded config (pure).

`--name`, `--compatibility-date`, `--compatibility-flag` (repeatable; replaces the config's
flags, as wrangler's `--compatibility-flags` does), `--var KEY:VALUE` (repeatable; a plain-text
var added or replacing the config's), `--minify/--no-minify`, `--keep-vars`, and the version's
`--message` and `--tag` annotations. Each value gets the same check as in the config file; a bad
one is a usage error naming the flag.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from cfworker.config.model import Project, VarSpec
from cfworker.errors import UserError

MESSAGE_MAX = 50  # OpenAPI: version annotations workers/message maxLength
TAG_MAX = 20  # OpenAPI: workers/tag maxLength


@dataclass(frozen=True, slots=True)
class DeployFlags:
    name: str | None = None
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    vars: tuple[str, ...] = ()  # KEY:VALUE as typed
    minify: bool | None = None
    keep_vars: bool = False
    message: str | None = None
    tag: str | None = None


def apply_flags(project: Project, flags: DeployFlags, *, today: datetime.date | None = None) -> Project:
    """`project` with the flags applied; UserError (exit 2) naming the flag when a value is bad."""
    from cfworker.config.diagnostics import Diagnostics
    from cfworker.config.sections import check_compatibility_date, check_name

    changes: dict[str, object] = {}
    d = Diagnostics("command line")
    if flags.name is not None:
        name = check_name(d, "--name", flags.name)
        changes["name"] = name
    if flags.compatibility_date is not None:
        changes["compatibility_date"] = check_compatibility_date(d, "--compatibility-date", flags.compatibility_date,
                                                                 today or datetime.date.today())
    if d.has_errors():
        problem = d.errors[0]
        raise UserError(f"{problem.path}: {problem.message}", hint=problem.hint)
    if flags.compatibility_flags:
        changes["compatibility_flags"] = tuple(dict.fromkeys(flags.compatibility_flags))
    if flags.vars:
        given = dict(_parse_var(v) for v in flags.vars)
        kept = [v for v in project.vars if v.name not in given]
        changes["vars"] = (*kept, *(VarSpec(k, v) for k, v in given.items()))
    if flags.minify is not None:
        changes["build"] = dataclasses.replace(project.build, minify=flags.minify)
    if flags.keep_vars:
        changes["keep_vars"] = True
    for flag, value, limit in (("--message", flags.message, MESSAGE_MAX), ("--tag", flags.tag, TAG_MAX)):
        if value is not None and not 0 < len(value) <= limit:
            raise UserError(f"{flag} takes 1 to {limit} characters (Cloudflare's limit), got {len(value)}",
                            hint=f"shorten the {flag[2:]}")
    annotations = tuple((k, v) for k, v in (("workers/message", flags.message), ("workers/tag", flags.tag)) if v)
    if annotations:
        changes["annotations"] = annotations
    return dataclasses.replace(project, **changes)  # type: ignore[arg-type]


def _parse_var(text: str) -> tuple[str, str]:
    """`KEY:VALUE` (split at the first colon, as wrangler does) -> (KEY, VALUE)."""
    key, sep, value = text.partition(":")
    if not sep or not key:
        raise UserError(f"--var {text!r} is not KEY:VALUE", hint="write --var GREETING:hello (split at the first ':')")
    if key != key.strip() or any(ord(c) < 0x20 or c.isspace() for c in key):
        raise UserError(f"--var {key!r} has spaces or control characters, which no var name may have",
                        hint="rename it, e.g. GREETING")
    return key, value
