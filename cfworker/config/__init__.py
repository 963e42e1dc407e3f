"""Project configuration: find and read worker.toml, validate it into a `Project`.

`loader` does the file I/O, `validate` and `diagnostics` are pure, `model` holds the
frozen dataclasses every later stage consumes. `validate` is built from small pure
modules: parse (TOML), locate (line numbers), schema (accepted keys), structure, checks,
sections, bindings, build, hooks and cron.
"""
