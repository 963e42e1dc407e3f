"""[assets]: the static-file folder and how Cloudflare serves it (pure validation).

Keys as wrangler reads them (workers-utils config/environment.ts `assets`): `directory`
(required), `binding`, `html_handling`, `not_found_handling`, `run_worker_first` (true, or
route patterns with `!` for exclusions). The folder is usually a site build's output, so it
need not exist when the config loads; the build reads it and says so when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast, get_args

from cfworker.config.checks import describe, expect_bool, expect_one_of, expect_str, expect_str_list, expect_table
from cfworker.config.diagnostics import Diagnostics, key_path
from cfworker.config.model import AssetsSpec, HtmlHandling, NotFoundHandling

KEYS = ("directory", "binding", "html_handling", "not_found_handling", "run_worker_first")
HTML_HANDLING = get_args(HtmlHandling)
NOT_FOUND_HANDLING = get_args(NotFoundHandling)


def check_assets(d: Diagnostics, path: str, value: Any, root: Path) -> AssetsSpec | None:
    table = expect_table(d, path, value, hint='write [assets] with directory = "./public"')
    if table is None:
        return None
    if "directory" not in table:
        vite = any((root / f"vite.config.{ext}").is_file() for ext in ("ts", "js", "mjs", "mts"))
        d.error(key_path(path, "directory"), "is required",
                "the Cloudflare Vite plugin fills it in: run the Vite build (`npm run build`) and deploy again, "
                "cfworker then reads the config the build writes" if vite else
                'add directory = "./public" (the folder to upload)')
        return None
    text = expect_str(d, key_path(path, "directory"), table["directory"], hint='write directory = "./public"')
    if text is None:
        return None
    directory = Path(os.path.normpath(Path(text) if Path(text).is_absolute() else root / text))
    spec: dict[str, Any] = {"directory": directory}
    if "binding" in table:
        spec["binding"] = expect_str(d, key_path(path, "binding"), table["binding"], hint='write binding = "ASSETS"')
    if "html_handling" in table:
        spec["html_handling"] = expect_one_of(d, key_path(path, "html_handling"), table["html_handling"], HTML_HANDLING)
    if "not_found_handling" in table:
        spec["not_found_handling"] = expect_one_of(d, key_path(path, "not_found_handling"),
                                                   table["not_found_handling"], NOT_FOUND_HANDLING)
    if "run_worker_first" in table:
        spec["run_worker_first"] = _run_worker_first(d, key_path(path, "run_worker_first"), table["run_worker_first"])
    if any(v is None for v in spec.values()):
        return None
    return AssetsSpec(directory=spec["directory"], binding=spec.get("binding"),
                      html_handling=cast(HtmlHandling, spec.get("html_handling", "auto-trailing-slash")),
                      not_found_handling=cast(NotFoundHandling, spec.get("not_found_handling", "none")),
                      run_worker_first=spec.get("run_worker_first", False))


def _run_worker_first(d: Diagnostics, path: str, value: Any) -> bool | tuple[str, ...] | None:
    if isinstance(value, bool):
        return expect_bool(d, path, value)
    patterns = expect_str_list(d, path, value, hint='write run_worker_first = true or ["/api/*", "!/api/docs"]')
    if patterns is None:
        return None
    for i, pattern in enumerate(patterns):
        if not pattern.lstrip("!").startswith("/"):
            d.error(f"{path}[{i}]", f"{describe(pattern)} is not a route pattern",
                    'patterns start with "/" (or "!/" to exclude), e.g. "/api/*"')
            return None
    return patterns
