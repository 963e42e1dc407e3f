"""Module rules: which imports stay out of the bundle as text, data or wasm modules (pure).

esbuild's CLI cannot run plugins, so rules are applied with its `copy` loader: every file
extension a rule names gets `--loader:.ext=copy`, which copies the imported file into the
output directory as `<name>-<hash>.<ext>` and keeps the import, now pointing at that copy.
After the build each copied file is matched against the rule globs (user rules first, then
the defaults; the first match wins) to decide its module type. Globs use wrangler's syntax:
`**/` any directories, `*` any characters but `/`, every other character literal (so the
`?` in `**/*.wasm?module` is a literal question mark, as in wrangler).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cfworker.config.model import ModuleRule
from cfworker.errors import UserError

# Extensions esbuild must compile itself; a text/data/wasm rule may not claim them.
_CODE_EXTENSIONS = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """Compile a wrangler-style module-rule glob into an anchored regex."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def rule_extension(glob: str) -> str:
    """The file extension a glob selects (`**/*.wasm?module` -> `.wasm`), for esbuild's loader."""
    last = glob.rsplit("/", 1)[-1].split("?", 1)[0]
    if last.startswith("*."):
        ext = last[1:]
    elif "." in last.lstrip("."):
        ext = "." + last.rsplit(".", 1)[1]
    else:
        ext = ""
    if not ext or "*" in ext:
        raise UserError(
            f'module rule glob "{glob}" does not end in a file extension',
            hint='cfworker applies module rules by extension; write globs like "**/*.txt"',
        )
    if ext.lower() in _CODE_EXTENSIONS:
        raise UserError(
            f'module rule glob "{glob}" matches {ext} files, which esbuild must compile',
            hint="text, data and wasm rules can only match non-code files",
        )
    return ext


def rule_extensions(rules: Iterable[ModuleRule]) -> list[str]:
    """Every extension the rules name, in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for rule in rules:
        for glob in rule.globs:
            seen.setdefault(rule_extension(glob), None)
    return list(seen)


def match_rule(path: str, rules: Iterable[ModuleRule]) -> ModuleRule | None:
    """The first rule with a glob matching `path` (posix, project-relative), or None.

    A `?query` suffix (as in `./x.wasm?module`) is tried both kept and stripped.
    """
    candidates = [path]
    if "?" in path:
        candidates.append(path.split("?", 1)[0])
    for rule in rules:
        for glob in rule.globs:
            pattern = glob_to_regex(glob)
            if any(pattern.match(c) for c in candidates):
                return rule
    return None
