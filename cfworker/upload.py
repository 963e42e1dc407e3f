"""Build the multipart upload form of a module Worker from a project and its bundle (pure).

The form is a value: `metadata` (main module, bindings, compatibility date and flags,
keep_bindings, settings) plus one part per module, each `(name, (filename, bytes,
content type))` with part name == filename == module name, as wrangler sends it. The
form also carries a content hash over modules and metadata. The deploy writes it as the
`workers/message` annotation (`cfw:<16 hex>`) of the deployment that puts the upload live,
so the next deploy can tell "nothing changed" from what is live now, without a local state
file: a deployment another tool made carries no such annotation (a script tag cannot
serve: tags survive other tools' deploys, real-api-quirks #4). Deployment annotations are
what `wrangler deploy --message` writes; whether a PUT upload keeps version annotations is
documented both ways (research notes), so the hash does not rely on them. Non-versioned
settings (tags, logpush, observability) are not part of the form: they have their own step.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cfworker.bindings.table import kind as binding_kind
from cfworker.bundle.model import Bundle
from cfworker.config.model import NODEJS_COMPAT_DEFAULT_DATE, Project

# Where older cfworker releases kept the hash: a script tag. Recognised only to remove it.
HASH_TAG_PREFIX = "cfworker-hash="
# The deployment annotation that carries the hash (at most 50 characters per the schema).
HASH_ANNOTATION = "workers/message"
HASH_MARK = "cfw:"
_HASH_IN_ANNOTATION = re.compile(r"cfw:([0-9a-f]{16})")
# From NODEJS_COMPAT_DEFAULT_DATE workerd rejects an explicit nodejs_compat flag as
# redundant (api-notes §7.1), so such flags are not sent.
_REDUNDANT_AFTER_DEFAULT = ("nodejs_compat", "nodejs_compat_v2")
# Secrets are set with `cfworker secret put`, never from worker.toml, so every deploy keeps them.
KEEP_SECRETS = ("secret_text", "secret_key")
KEEP_VARS = ("plain_text", "json")

Part = tuple[str, tuple[str | None, bytes, str]]


@dataclass(frozen=True, slots=True)
class UploadForm:
    """Everything the script upload sends, plus the hash that identifies it."""

    metadata: dict[str, Any]
    parts: tuple[Part, ...]  # metadata first, then the main module, other modules, source map
    content_hash: str

    @property
    def bindings(self) -> list[dict[str, Any]]:
        return list(self.metadata.get("bindings", []))

    def summary(self) -> dict[str, Any]:
        """Modules with sizes and bindings by name and type (for plans, dry runs and --json)."""
        return {
            "main_module": self.metadata.get("main_module"),
            "modules": [{"name": name, "type": ctype, "size": len(content)}
                        for name, (_fn, content, ctype) in self.parts[1:]],
            "bindings": [{"name": b["name"], "type": b["type"]} for b in self.bindings],
            "compatibility_date": self.metadata.get("compatibility_date"),
            "compatibility_flags": self.metadata.get("compatibility_flags", []),
            "content_hash": self.content_hash,
        }


def sent_compatibility_flags(project: Project) -> list[str]:
    """The flags to send: all configured ones, minus those the date already implies."""
    flags = list(project.compatibility_flags)
    if project.compatibility_date >= NODEJS_COMPAT_DEFAULT_DATE:
        flags = [f for f in flags if f not in _REDUNDANT_AFTER_DEFAULT]
    return flags


# What a provisioned binding needs set before it can be uploaded (found or created at deploy time).
PROVISIONED_FIELD = {"kv": "id", "r2": "bucket_name", "d1": "database_id"}

Resolved = Mapping[str, Mapping[str, Any]]  # binding name -> config fields a deploy found or created


def build_bindings(project: Project, resolved: Resolved) -> list[dict[str, Any]]:
    """The metadata `bindings` list in wrangler's exact shapes (api-notes §2.3), from the binding table."""
    out: list[dict[str, Any]] = []
    for var in project.vars:
        if var.is_text:
            out.append({"type": "plain_text", "name": var.name, "text": var.value})
        else:
            out.append({"type": "json", "name": var.name, "json": var.value})
    for spec in project.bindings:
        kind = binding_kind(spec.kind)
        extra = resolved.get(spec.name, {})
        needed = PROVISIONED_FIELD.get(kind.provision or "")
        if needed is not None and spec.get(needed) is None and needed not in extra:
            raise ValueError(f"no {needed} for the {kind.label} binding {spec.name}")
        out.append(kind.wire(spec, extra))
    for name, text in project.deploy_secrets:  # deploy --secrets-file (api-notes §4.1)
        out.append({"type": "secret_text", "name": name, "text": text})
    if project.assets is not None and project.assets.binding:  # [assets] binding (api-notes §2.3)
        out.append({"type": "assets", "name": project.assets.binding})
    return out


ASSETS_JWT_PENDING = "<the assets upload's completion token>"


def assets_metadata(project: Project, bundle: Bundle, jwt: str | None) -> dict[str, Any]:
    """`metadata.assets`: the completion token and the serving config, with `_headers`/`_redirects` as
    the files' text (research-16 A5; Cloudflare parses them). Keys left unset are not sent."""
    assert project.assets is not None
    config = project.assets.config()
    if bundle.assets is not None and bundle.assets.redirects is not None:
        config["_redirects"] = bundle.assets.redirects
    if bundle.assets is not None and bundle.assets.headers is not None:
        config["_headers"] = bundle.assets.headers
    return {"jwt": jwt or ASSETS_JWT_PENDING, "config": config}


def build_metadata(project: Project, bundle: Bundle, resolved: Resolved,
                   migrations: Mapping[str, Any] | None = None, assets_jwt: str | None = None) -> dict[str, Any]:
    """The `metadata` part; `migrations` are the pending Durable Object migrations, if any;
    `assets_jwt` the completion token of this deploy's assets upload."""
    if bundle.assets_only:  # only the metadata part: no module, no bindings (research-16 A5)
        only: dict[str, Any] = {"assets": assets_metadata(project, bundle, assets_jwt),
                                "compatibility_date": project.compatibility_date}
        if flags := sent_compatibility_flags(project):
            only["compatibility_flags"] = flags
        return only
    meta: dict[str, Any] = {
        "main_module": bundle.main_module,
        "bindings": build_bindings(project, resolved),
        "compatibility_date": project.compatibility_date,
    }
    flags = sent_compatibility_flags(project)
    if flags:
        meta["compatibility_flags"] = flags
    meta["keep_bindings"] = list(KEEP_SECRETS + (KEEP_VARS if project.keep_vars else ()))
    if project.placement is not None and project.placement.get("mode") != "off":
        meta["placement"] = project.placement
    if project.usage_model is not None:
        meta["usage_model"] = project.usage_model
    if project.limits:
        meta["limits"] = dict(project.limits)
    if migrations:
        meta["migrations"] = dict(migrations)
    if project.annotations:  # --message / --tag, on the version (api-notes §2.2)
        meta["annotations"] = dict(project.annotations)
    if project.assets is not None:
        meta["assets"] = assets_metadata(project, bundle, assets_jwt)
    return meta


def content_hash(bundle: Bundle, metadata: Mapping[str, Any]) -> str:
    """A short, stable hash of everything the upload leaves live on Cloudflare's side.

    Durable Object migrations are left out: they are applied once, and the live Worker keeps
    their tag, not them; the deploy after the one that applied them sends none, and must see
    the same hash (pending migrations force an upload on their own).
    """
    digest = hashlib.sha256()
    digest.update(bundle.content_hash().encode())  # with the assets manifest's digest
    # Annotations (--message, --tag) describe a deploy, not what it leaves live: a new message on an
    # unchanged tree is no reason to upload it again.
    kept = {k: v for k, v in metadata.items() if k not in ("migrations", "annotations")}
    if project_secrets := [b for b in kept.get("bindings", []) if b.get("type") == "secret_text"]:
        # secret values never enter the hash (it is written into a deployment annotation): a deploy
        # with --secrets-file always uploads instead (the script concern forces it)
        kept["bindings"] = [b for b in kept["bindings"] if b not in project_secrets]
    if isinstance(kept.get("assets"), dict):  # the token differs on every upload; the config does not
        kept["assets"] = {k: v for k, v in kept["assets"].items() if k != "jwt"}
    digest.update(json.dumps(kept, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()[:32]


def build_upload_form(project: Project, bundle: Bundle, resolved: Resolved | None = None, *,
                      migrations: Mapping[str, Any] | None = None, assets_jwt: str | None = None) -> UploadForm:
    """The complete upload form; bindings a deploy provisions take their ids or names from `resolved`."""
    meta = build_metadata(project, bundle, resolved or {}, migrations, assets_jwt)
    digest = content_hash(bundle, meta)
    parts: list[Part] = [("metadata", (None, json.dumps(meta, separators=(",", ":")).encode(), "application/json"))]
    for module in bundle.modules:
        parts.append((module.name, (module.name, module.content, module.content_type)))
    if bundle.sourcemap is not None and bundle.upload_sourcemap:
        sm = bundle.sourcemap
        parts.append((sm.name, (sm.name, sm.content, sm.content_type)))
    return UploadForm(metadata=meta, parts=tuple(parts), content_hash=digest)


def hash_annotation(digest: str, message: str | None = None) -> str:
    """The deployment message that marks a deployment as cfworker's deploy of this content; a
    --message is kept in front of the mark, shortened to fit the 50 characters the API allows."""
    mark = HASH_MARK + digest[:16]
    if not message:
        return mark
    room = 50 - len(mark) - 1
    text = message if len(message) <= room else message[: room - 1] + "…"
    return f"{text} {mark}"


def hash_from_annotations(annotations: Mapping[str, Any]) -> str | None:
    """The 16-hex content hash cfworker wrote in a deployment's (or version's) annotations, if any."""
    for key in (HASH_ANNOTATION, "workers/tag"):
        value = annotations.get(key)
        if isinstance(value, str) and (found := _HASH_IN_ANNOTATION.search(value)):
            return found.group(1)
    return None
