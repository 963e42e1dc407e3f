"""Binding kinds as data: one table (`table.KINDS`) that every stage reads.

`kind.BindingKind` describes a kind (config key, fields, binding JSON, inheritance,
provisioning, local dev); `kind.BindingSpec` is one configured binding; `fields` holds the
value checks; `check` validates a config layer against the table. vars and secrets are not
in the table: they are not binding tables in worker.toml (config.bindings validates them).
"""
