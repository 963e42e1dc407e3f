"""Native tools cfworker runs but does not ship: esbuild (bundling) and workerd (`cfworker dev`).

Both come as per-platform npm packages, so one implementation finds and installs either:
  spec.py     `NpmBinary`: name, pinned version, package and sha512 integrity per platform (pure)
  cache.py    the user cache, per-version managed paths, sha256 sidecars and stat fingerprints
  locate.py   lookup order: explicit path (env var or worker.toml) -> node_modules -> managed copy
  install.py  `npm pack` into a temp dir, integrity check BEFORE extracting, atomic swap under a lock
The tool-specific modules (`cfworker.bundle.tool`, `cfworker.dev.workerd`) hold the pins and
the wording of their errors.
"""
