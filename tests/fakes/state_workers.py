"""Workers scripts: multipart upload, bindings, versions, deployments, settings and secrets.

Modelled on api-notes §1.3, §2 and §4. An upload (`PUT .../scripts/{s}`) stores every part's
exact bytes, checks `main_module`/`body_part` and every binding (shape per §2.3, KV namespace
ids against this account), creates a version and deploys it at 100%. Secrets live on the
script, outside versions: an upload never drops them (`--keep-vars` help text, §2.2); an upload
that carries a `secret_text` binding sets that secret (Cloudflare's old Workers API reference,
cloudflare/workers-docs tooling/api/scripts.md: secret_text bindings persist between deploys),
and a non-secret binding with a secret's name replaces the secret (wrangler asks before a var
shadows a secret, api-notes §1.1 step 3, check-remote-secrets-override.ts). `keep_bindings`
keeps earlier bindings of the listed types (§2.2). Simplification: secrets are script-wide, so
a version uploaded but not yet deployed already sees secret changes it carries. Durable Object
migrations (`metadata.migrations`) are checked and applied step by step (`plan_migrations`,
research notes 14-15 A1); queue, R2 and D1 bindings must name resources of the account
(`_check_binding`, issue 14). Static assets (`metadata.assets` / `keep_assets`, research-16 A5) are
checked and attached to the version by `state_assets.assets_of_upload`; an assets-only upload has
only the metadata part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import multipart, state_assets, state_queues, state_storage
from tests.fakes.routing import Ctx, Route
from tests.fakes.wire import Fail, Reply, content_hash, new_id, new_uuid, now_iso, paginate

SECRET_TYPES = frozenset({"secret_text", "secret_key"})

# Binding type -> groups of fields; each group needs at least one of its fields (api-notes §2.3).
BINDING_FIELDS: dict[str, list[tuple[str, ...]]] = {
    "plain_text": [("text",)], "json": [("json",)], "secret_text": [("text",)],
    "secret_key": [("algorithm",), ("format",), ("usages",), ("key_base64", "key_jwk")],
    "inherit": [], "kv_namespace": [("namespace_id",)], "r2_bucket": [("bucket_name",)],
    "d1": [("id", "database_id")], "durable_object_namespace": [("class_name",)], "queue": [("queue_name",)],
    "service": [("service",)], "analytics_engine": [], "ai": [], "browser": [], "images": [], "stream": [],
    "media": [], "version_metadata": [], "assets": [], "vectorize": [("index_name",)], "hyperdrive": [("id",)],
    "workflow": [("workflow_name",), ("class_name",)], "send_email": [], "dispatch_namespace": [("namespace",)],
    "mtls_certificate": [("certificate_id",)], "pipelines": [("pipeline", "stream")],
    "secrets_store_secret": [("store_id",), ("secret_name",)], "ratelimit": [("namespace_id",), ("simple",)],
    "vpc_service": [("service_id",)], "vpc_network": [("tunnel_id", "network_id")], "worker_loader": [],
    "logfwdr": [("destination",)], "wasm_module": [("part",)], "text_blob": [("part",)], "data_blob": [("part",)],
    "ai_search": [("instance_name",)], "ai_search_namespace": [("namespace",)], "agent_memory": [("namespace",)],
    "artifacts": [("namespace",)], "flagship": [("app_id",)], "websearch": [], "messaging": [], "k2": [],
}


@dataclass
class Module:
    """One uploaded part: module name, content type and the exact bytes."""

    name: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass
class Version:
    """An immutable version of a script: modules, metadata and resolved (non-secret) bindings."""

    id: str
    number: int
    modules: dict[str, Module]
    metadata: dict[str, Any]
    bindings: list[dict[str, Any]]
    main_module: str | None
    body_part: str | None
    etag: str
    annotations: dict[str, Any] = field(default_factory=dict)
    created_on: str = field(default_factory=now_iso)
    source: str = "api"
    # Durable Object migrations of a version upload, applied when a deployment first serves it
    # (the server defers reconciliation to the deploy: workers-sdk deploy-helpers versions-upload.ts)
    pending_migrations: dict[str, Any] | None = None
    # Static assets of the version (manifest + config, state_assets) and the completion token that
    # brought them, redeemed when the upload is committed (`state_assets.redeem`).
    assets: state_assets.VersionAssets | None = None
    assets_token: str | None = field(default=None, repr=False)

    @property
    def compatibility_date(self) -> str | None:
        """The uploaded compatibility date."""
        return self.metadata.get("compatibility_date")

    @property
    def compatibility_flags(self) -> list[str]:
        """The uploaded compatibility flags."""
        return list(self.metadata.get("compatibility_flags") or [])


@dataclass
class Deployment:
    """Which versions serve traffic, and at what percentage."""

    id: str
    versions: list[dict[str, Any]]
    annotations: dict[str, Any] = field(default_factory=dict)
    created_on: str = field(default_factory=now_iso)
    source: str = "api"

    def as_api(self, author_email: str) -> dict[str, Any]:
        """The deployment as `GET .../deployments` lists it (research notes 12-13 §9, versions-types.ts ApiDeployment)."""
        return {"id": self.id, "created_on": self.created_on, "source": self.source, "strategy": "percentage",
                "author_email": author_email, "annotations": self.annotations, "versions": self.versions}


@dataclass
class Script:
    """A Worker: its versions and deployments, secrets and non-versioned settings."""

    name: str
    account_id: str
    tag: str = field(default_factory=new_id)
    created_on: str = field(default_factory=now_iso)
    modified_on: str = field(default_factory=now_iso)
    versions: list[Version] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # name -> binding incl. value
    tags: list[str] = field(default_factory=list)
    logpush: bool = False
    observability: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    tail_consumers: list[dict[str, Any]] | None = None
    streaming_tail_consumers: list[dict[str, Any]] | None = None
    usage_model: str = "standard"
    subdomain_enabled: bool = False
    previews_enabled: bool = False
    schedules: list[dict[str, Any]] = field(default_factory=list)
    migration_tag: str | None = None  # shown in the script list and the services GET (research notes A1.2)
    do_classes: set[str] = field(default_factory=set)  # Durable Object classes its applied migrations made

    @property
    def current(self) -> Version:
        """The version serving (most of) the traffic: the latest deployment's biggest share.

        The fake's own notion for the one-version views (settings, download); the API lists
        the deployment's split as is.
        """
        if self.deployments:
            top = max(self.deployments[-1].versions, key=lambda v: v["percentage"])
            return next(v for v in self.versions if v.id == top["version_id"])
        return self.versions[-1]

    @property
    def modules(self) -> dict[str, Module]:
        """The deployed version's modules by name."""
        return self.current.modules

    @property
    def metadata(self) -> dict[str, Any]:
        """The deployed version's parsed `metadata` part."""
        return self.current.metadata

    @property
    def bindings(self) -> list[dict[str, Any]]:
        """The deployed version's non-secret bindings (resolved, as stored)."""
        return self.current.bindings

    @property
    def main_module(self) -> str | None:
        """The deployed version's main module name."""
        return self.current.main_module

    @property
    def etag(self) -> str:
        """Hash of the deployed content."""
        return self.current.etag

    def content(self, module: str) -> bytes:
        """Bytes of one deployed module."""
        return self.modules[module].content

    def public_bindings(self) -> list[dict[str, Any]]:
        """Bindings as the API shows them: secrets by name and type only, never their values (api-notes §4.1)."""
        return [dict(b) for b in self.bindings] + [{"name": n, "type": s["type"]} for n, s in sorted(self.secrets.items())]

    def handlers(self) -> list[str]:
        """Exported handlers, guessed from the main module's text (a guess: the server learns them at startup)."""
        main = self.current.modules.get(self.main_module or self.current.body_part or "")
        text = main.content if main else b""
        return ["fetch"] + [h for h in ("scheduled", "queue", "email", "tail") if h.encode() + b"(" in text]

    def as_api(self) -> dict[str, Any]:
        """The script object of list/upload results (fields of SDK script_update_response, api-notes §1.3)."""
        v = self.current
        d: dict[str, Any] = {
            "id": self.name, "tag": self.tag, "tags": list(self.tags), "etag": v.etag, "handlers": self.handlers(),
            "named_handlers": [], "created_on": self.created_on, "modified_on": self.modified_on,
            "usage_model": self.usage_model, "compatibility_date": v.compatibility_date,
            "compatibility_flags": v.compatibility_flags, "logpush": self.logpush,
            "tail_consumers": self.tail_consumers, "observability": self.observability,
            "has_assets": v.assets is not None, "has_modules": v.main_module is not None, "last_deployed_from": "api",
            "migration_tag": self.migration_tag,
        }
        if self.placement:
            d["placement"] = self.placement
            d["placement_mode"] = self.placement.get("mode")
        return d

    def version_api(self, v: Version, email: str, user_id: str) -> dict[str, Any]:
        """A version as the versions API returns it (api-notes §1.3 `ApiVersion`; both `has_preview`
        spellings, as §1.3 advises)."""
        return {"id": v.id, "number": v.number, "annotations": v.annotations,
                "metadata": {"created_on": v.created_on, "modified_on": v.created_on, "source": v.source,
                             "author_id": user_id, "author_email": email, "has_preview": False, "hasPreview": False},
                "resources": {"bindings": [dict(b) for b in v.bindings]
                              + [{"name": n, "type": s["type"]} for n, s in sorted(self.secrets.items())],
                              "script": {"etag": v.etag, "handlers": self.handlers(), "last_deployed_from": "api"},
                              "script_runtime": {"compatibility_date": v.compatibility_date,
                                                 "compatibility_flags": v.compatibility_flags,
                                                 "usage_model": self.usage_model, "limits": {}}},
                "startup_time_ms": 1}


# -- building a version from an upload ----------------------------------------------------------

MAX_TAGS = 8  # real-api-quirks #5: at most 8 tags per script (Workers for Platforms tags docs, same field)
# Same source: the docs say to *avoid* ',' and '&' (research notes 12-13 §3); refusing them is the less
# forgiving reading. Tag length and the error code are undocumented (codes.py tags_invalid).
_TAG_FORBIDDEN = (",", "&")


def check_tags(tags: Any) -> list[str]:
    """A script's tag list as the API accepts it, or Fail (limit 8, no ',' or '&')."""
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Fail("tags_invalid", detail="tags must be a list of strings")
    if len(tags) > MAX_TAGS:
        raise Fail("tags_invalid", detail=f"{len(tags)} tags given; a script can have at most {MAX_TAGS}")
    bad = [t for t in tags if any(c in t for c in _TAG_FORBIDDEN)]
    if bad:
        raise Fail("tags_invalid", detail=f"tag {bad[0]!r} contains ',' or '&'")
    return list(tags)


# -- Durable Object migrations (research notes 14-15 A1) -----------------------------------------

# Export detection for the "class not exported" checks: a heuristic over the main module's text
# (`export class C`, `export { C }`, `export { X as C }`, the last also what esbuild emits at the
# end of a bundle). The real server learns a module's exports by loading it; a class exported any
# other way (e.g. `export const C = class {}`) is missed here, and `export default class C`
# exports `default`, not `C` (a binding names a class by its export name).
_EXPORT_CLASS = re.compile(rb"\bexport\s+class\s+([A-Za-z_$][\w$]*)")
_EXPORT_LIST = re.compile(rb"\bexport\s*\{([^}]*)\}")


def exported_names(modules: dict[str, Module], main: str | None) -> set[str]:
    """Names the main module exports (heuristic, see above); none for a service-worker script."""
    text = modules[main].content if main in modules else b""
    names = {m.decode() for m in _EXPORT_CLASS.findall(text)}
    for group in _EXPORT_LIST.findall(text):
        for item in group.decode("utf-8", "replace").split(","):
            words = item.split()
            if words:
                names.add(words[-1])  # "X as C" exports C
    return names


@dataclass
class MigrationPlan:
    """What an upload's `migrations` do to a script: the tag and classes after them, and more."""

    tag: str | None
    classes: set[str]  # Durable Object classes of the script once applied
    live: set[str]  # the classes before
    deleted: set[str] = field(default_factory=set)  # deleted by these steps (and not re-created)
    transfers: list[tuple[str, str]] = field(default_factory=list)  # (from_script, from class) moved here


def _names(step: dict[str, Any], key: str) -> list[str]:
    value = step.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Fail("script_invalid", detail=f"migrations: '{key}' must be a list of class names")
    return value


def _pairs(step: dict[str, Any], key: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    # shapes: wrangler's validateMigrations texts "{from: string, to: string}" and
    # "{from: string, from_script: string, to: string}" (WU/config/validation.ts, research notes A1.1)
    value = step.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) and all(isinstance(v.get(f), str) for f in fields)
                                              for v in value):
        raise Fail("script_invalid", detail=f"migrations: '{key}' must be a list of {{{', '.join(fields)}}} objects")
    return value


def plan_migrations(ctx: Ctx, script: Script | None, metadata: dict[str, Any]) -> MigrationPlan:
    """Check an upload's `migrations` against the script's live state and work out the result.

    Both forms: stepped `{old_tag?, new_tag, steps:[...]}` and single-step `{old_tag?, new_tag,
    new_classes...}` (schema: workers_stepped_migrations / workers_single_step_migrations; wrangler
    always sends the stepped one, research notes A1.3). `old_tag` must be the live tag (10079).
    Steps apply in order, each kind in the order wrangler's config lists them (new, renamed,
    deleted, transferred; the server's order within one step is unverified):
    * new_classes / new_sqlite_classes create a class; one that already exists: 10074;
    * renamed_classes {from, to}: `from` must exist and `to` must not (10074, texts unverified);
    * deleted_classes: the class must exist (10074);
    * transferred_classes {from, from_script, to}: `from` must be a class of another script of
      this account, `to` must not exist here; applying it removes the class from that script.
    Without `new_tag` the tag stays as it was (schema: new_tag is optional).
    """
    tag = script.migration_tag if script else None
    live = set(script.do_classes) if script else set()
    plan = MigrationPlan(tag, set(live), live)
    migrations = metadata.get("migrations")
    if migrations is None:
        return plan
    if not isinstance(migrations, dict):
        raise Fail("script_invalid", detail="metadata.migrations must be an object")
    check_migration_tag(script, metadata)
    steps = migrations.get("steps") if "steps" in migrations else [migrations]
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise Fail("script_invalid", detail="migrations.steps must be a list of objects")
    classes, name = plan.classes, ctx.p.get("script_name", "")
    moved: set[tuple[str, str]] = set()
    for step in steps:
        for kind, key in (("new-class", "new_classes"), ("new-sqlite-class", "new_sqlite_classes")):
            for c in _names(step, key):
                if c in classes:
                    raise Fail("migration_class_exists", kind=kind, class_name=c)
                classes.add(c)
                plan.deleted.discard(c)
        for r in _pairs(step, "renamed_classes", ("from", "to")):
            if r["from"] not in classes:
                raise Fail("migration_invalid", kind="rename-class",
                           detail=f"class '{r['from']}' is not a Durable Object class of this script")
            if r["to"] in classes:
                raise Fail("migration_class_exists", kind="rename-class", class_name=r["to"])
            classes.discard(r["from"])
            classes.add(r["to"])
            plan.deleted.discard(r["to"])
        for c in _names(step, "deleted_classes"):
            if c not in classes:
                raise Fail("migration_class_missing", class_name=c)
            classes.discard(c)
            plan.deleted.add(c)
        for t in _pairs(step, "transferred_classes", ("from", "from_script", "to")):
            source = ctx.state.account_scripts(ctx.account_id).get(t["from_script"])
            if t["from_script"] == name or source is None or not source.versions:
                raise Fail("migration_invalid", kind="transfer-class",
                           detail=f"script '{t['from_script']}' is not another Worker of this account")
            if t["from"] not in source.do_classes or (t["from_script"], t["from"]) in moved:
                raise Fail("migration_invalid", kind="transfer-class",
                           detail=f"class '{t['from']}' is not a Durable Object class of '{t['from_script']}'")
            if t["to"] in classes:
                raise Fail("migration_class_exists", kind="transfer-class", class_name=t["to"])
            moved.add((t["from_script"], t["from"]))
            plan.transfers.append((t["from_script"], t["from"]))
            classes.add(t["to"])
            plan.deleted.discard(t["to"])
    plan.tag = migrations.get("new_tag", tag)
    return plan


def apply_migrations(ctx: Ctx, script: Script, plan: MigrationPlan) -> None:
    """Make a checked plan live: the script's tag and classes; transferred classes leave their script."""
    for from_script, cls in plan.transfers:
        source = ctx.state.account_scripts(ctx.account_id).get(from_script)
        if source is not None:
            source.do_classes.discard(cls)
    script.migration_tag, script.do_classes = plan.tag, set(plan.classes)


def check_migration_tag(script: Script | None, metadata: dict[str, Any]) -> None:
    """10079 when `old_tag` is not the live migration tag (schema workers_migration_tag_conditions:
    "If they don't match, the upload is rejected"; workers-sdk#705). A missing `old_tag` on a
    script that has a tag does not match either: the less forgiving reading."""
    migrations = metadata.get("migrations")
    if not isinstance(migrations, dict):
        return
    live = script.migration_tag if script else None
    if migrations.get("old_tag") != live:
        raise Fail("migration_tag_mismatch", tag=live)


def _check_do_bindings(script_name: str, bindings: list[Any], plan: MigrationPlan, exports: set[str], *,
                       version_upload: bool) -> None:
    """The 10061 family for bindings to a class of this script (research notes A1.5), in this order:
    the upload's own migrations delete the class (workers-sdk#8210); the main module does not
    export it (#1792, #337; `exported_names` heuristic); no applied migration created it
    (#10034, #10246). A version upload is not deployed, so its migrations are not applied yet: a
    binding to a class only they create is 10123 (ErrActorBindingDependsOnMigration,
    deploy-helpers error-codes.ts)."""
    for b in bindings:
        if not isinstance(b, dict) or b.get("type") != "durable_object_namespace":
            continue
        if b.get("script_name") not in (None, "", script_name):
            continue  # a class of another Worker: that Worker's migrations created it
        cls = b.get("class_name")
        if cls in plan.deleted:
            raise Fail("do_class_deleted_but_bound", class_name=cls)
        if cls not in exports:
            raise Fail("do_class_not_exported", class_name=cls)
        if cls not in plan.classes:
            raise Fail("do_class_not_migrated", name=b.get("name"), class_name=cls)
        if version_upload and cls not in plan.live:
            raise Fail("do_binding_depends_on_migration", name=b.get("name"), class_name=cls)


def _check_binding(ctx: Ctx, b: Any, part_names: set[str]) -> None:
    """Shape per api-notes §2.3 (unknown types and missing fields: 10021, text unverified); KV ids:
    32 hex (10042) of a namespace of this account (10041); blob parts must be uploaded (§2.1).

    Resources named by bindings must exist (issue 14): a queue of the account (wrangler checks
    producers exist before it uploads, research notes A2/A4; the server's answer is unverified), an
    R2 bucket of the account in the binding's jurisdiction (10085, a real answer quoted in
    workers-sdk), a D1 database: a uuid always (10021 "must have a valid `id`", deploy-helpers
    deploy.ts) and, with `config.d1_bindings_must_exist`, one of the account (see state.Config).
    A `workflow` binding needs no registered Workflow: wrangler registers it after the upload."""
    if not isinstance(b, dict) or not isinstance(b.get("type"), str) or not isinstance(b.get("name"), str) \
            or not b["name"]:
        raise Fail("script_invalid", detail=f"every binding needs a string 'type' and 'name': {json.dumps(b)[:200]}")
    kind, name = b["type"], b["name"]
    if kind not in BINDING_FIELDS:
        raise Fail("script_invalid", detail=f"binding '{name}' has unknown type '{kind}'")
    for group in BINDING_FIELDS[kind]:
        if not any(f in b for f in group):
            raise Fail("script_invalid", detail=f"binding '{name}' of type {kind} is missing '{' or '.join(group)}'")
    if kind in ("plain_text", "secret_text") and not isinstance(b["text"], str):
        raise Fail("script_invalid", detail=f"binding '{name}': 'text' must be a string")
    if kind == "kv_namespace":
        ns_id = b["namespace_id"]
        if not isinstance(ns_id, str) or len(ns_id) != 32 or any(c not in "0123456789abcdef" for c in ns_id):
            raise Fail("kv_binding_invalid", id=ns_id)
        ns = ctx.state.kv.get(ns_id)
        if ns is None or ns.account_id != ctx.account_id:
            raise Fail("kv_binding_not_found", id=ns_id)
    if kind == "queue" and state_queues.find_queue(ctx.state, ctx.account_id, b["queue_name"]) is None:
        raise Fail("queue_binding_not_found", queue=b["queue_name"])
    if kind == "r2_bucket" and state_storage.find_bucket(ctx.state, ctx.account_id, b["bucket_name"],
                                                         b.get("jurisdiction")) is None:
        raise Fail("r2_binding_not_found", bucket=b["bucket_name"])
    if kind == "d1":
        db_id = b.get("id", b.get("database_id"))
        if not isinstance(db_id, str) or not state_storage.is_uuid(db_id) or (
                ctx.state.config.d1_bindings_must_exist
                and state_storage.find_database(ctx.state, ctx.account_id, db_id) is None):
            raise Fail("d1_binding_invalid", name=name)
    if kind in ("wasm_module", "text_blob", "data_blob") and b["part"] not in part_names:
        raise Fail("script_invalid", detail=f"binding '{name}' refers to part '{b['part']}' which was not uploaded")


def build_version(ctx: Ctx, script: Script | None, parts: list[multipart.Part], *, strict_inherit: bool,
                  immediate: bool = False, version_upload: bool = False
                  ) -> tuple[Version, dict[str, dict[str, Any]], set[str]]:
    """Check an upload and turn it into a Version plus secret changes (set, removed).

    `main_module` (ES modules) or `body_part` (service worker) must name an uploaded part
    (api-notes §2.2; 10021, text unverified). A binding name used twice is refused (no evidence
    found; the less forgiving choice). `inherit` takes the previous version's binding; with
    `bindings_inherit=strict` an unresolvable one fails with 10057, without it it is dropped
    (api-notes §1.3: "strict = fail if an inherit binding cannot be resolved", SDK docstring).
    `migrations` are checked (`plan_migrations`) and so are Durable Object bindings against them
    (`_check_do_bindings`; `version_upload`: the migrations are not applied until deployed).
    Assets (`state_assets.assets_of_upload`): with `metadata.assets` (or `keep_assets`) and neither
    main_module nor body_part the upload is assets-only, which wrangler sends as the metadata part
    alone with no bindings (create-worker-upload-form.ts short circuit, research-16 A5): module parts
    or bindings there are refused (no evidence of the server's answer: the less forgiving choice;
    wrangler itself refuses an assets binding without a Worker). An `assets` binding needs assets on
    the version ("Cannot use an assets binding without assets", alchemy-run/alchemy PR #914); more
    than one is refused (wrangler sends at most one, create-worker-upload-form.ts; unverified).
    """
    meta_parts = [p for p in parts if p.name == "metadata"]
    if not meta_parts:
        raise Fail("script_invalid", detail="the upload has no 'metadata' part")
    try:
        metadata = json.loads(meta_parts[0].data)
    except ValueError as exc:
        raise Fail("script_invalid", detail=f"metadata is not valid JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise Fail("script_invalid", detail="metadata must be a JSON object")
    modules = {p.name: Module(p.name, p.content_type or "application/octet-stream", p.data)
               for p in parts if p.name != "metadata"}
    assets, assets_token = state_assets.assets_of_upload(ctx, script, metadata)
    main, body_part = metadata.get("main_module"), metadata.get("body_part")
    entry = main if main is not None else body_part
    if entry is None:
        if assets is None:
            raise Fail("script_invalid", detail="metadata names neither main_module nor body_part")
        if modules:
            raise Fail("assets_only_invalid", detail=f"must not upload module parts ({', '.join(sorted(modules))}); "
                                                     "name the entry in main_module")
        if metadata.get("bindings"):
            raise Fail("assets_only_invalid", detail="cannot have bindings: there is no Worker script to bind them to")
    elif entry not in modules:
        raise Fail("script_invalid", detail=f'No such module "{entry}". main_module must name an uploaded part')
    size = sum(len(m.content) for m in modules.values())  # every part counts, source maps too (unverified)
    if size > ctx.state.config.script_size_limit:
        raise Fail("script_too_large", limit=ctx.state.config.script_size_limit, size=size)
    bindings_in = metadata.get("bindings") or []
    if not isinstance(bindings_in, list):
        raise Fail("script_invalid", detail="metadata.bindings must be a list")
    prev = {b["name"]: b for b in (script.bindings if script and script.versions else [])}
    prev_secrets = script.secrets if script else {}
    resolved: list[dict[str, Any]] = []
    secret_set: dict[str, dict[str, Any]] = {}
    secret_removed: set[str] = set()
    seen: set[str] = set()
    for b in bindings_in:
        _check_binding(ctx, b, set(modules))
        if b["name"] in seen:
            raise Fail("script_invalid", detail=f"binding name '{b['name']}' is used more than once")
        seen.add(b["name"])
        if b["type"] == "inherit":
            old = b.get("old_name") or b["name"]
            if old in prev:
                resolved.append({**prev[old], "name": b["name"]})
            elif old in prev_secrets:
                if old != b["name"]:
                    secret_set[b["name"]] = {**prev_secrets[old], "name": b["name"]}
            elif strict_inherit:
                raise Fail("inherit_invalid", name=b["name"])
        elif b["type"] in SECRET_TYPES:
            secret_set[b["name"]] = dict(b)
        else:
            resolved.append(dict(b))
            if b["name"] in prev_secrets:
                secret_removed.add(b["name"])
    keep = set(metadata.get("keep_bindings") or []) - SECRET_TYPES  # secrets are always kept
    resolved += [dict(b) for n, b in prev.items() if b["type"] in keep and n not in seen]
    asset_bindings = [b for b in resolved if b["type"] == "assets"]
    if asset_bindings and assets is None:
        raise Fail("assets_binding_without_assets")
    if len(asset_bindings) > 1:
        raise Fail("script_invalid", detail="at most one binding of type assets")
    plan = plan_migrations(ctx, script, metadata)
    _check_do_bindings(ctx.p.get("script_name", ""), bindings_in, plan, exported_names(modules, main),
                       version_upload=version_upload)
    if "tags" in metadata:
        check_tags(metadata["tags"])
    etag = content_hash(json.dumps([entry, sorted(modules)]).encode(),
                        *(m.content_type.encode() + b"\0" + m.content for _, m in sorted(modules.items())))
    number = len(script.versions) + 1 if script else 1
    # Version annotations are kept for version uploads only: Cloudflare's multipart-metadata page
    # says they are "not available for immediately deployed uploads" (its API reference says
    # otherwise; the less forgiving reading is modelled, research notes §9). Their lengths (message 50,
    # tag 20) are the schema's maxLength, which the validator enforces.
    annotations = dict(metadata.get("annotations") or {}) if not immediate else {}
    version = Version(new_uuid(), number, modules, metadata, resolved, main, body_part if main is None else None,
                      etag, annotations, assets=assets, assets_token=assets_token)
    return version, secret_set, secret_removed


def _upload_parts(ctx: Ctx) -> list[multipart.Part]:
    req = ctx.req
    # A bare script body is a service-worker upload (workers-docs tooling/api/scripts.md, Content-Type
    # application/javascript); everything else must be multipart (§2).
    if req.content_type in ("application/javascript", "text/javascript"):  # service-worker raw upload
        meta = json.dumps({"body_part": "worker.js", "bindings": []}).encode()
        return [multipart.Part("metadata", None, "application/json", meta),
                multipart.Part("worker.js", "worker.js", "application/javascript", req.body)]
    try:
        return multipart.parse(req.headers.get("content-type", ""), req.body)
    except multipart.MultipartError as exc:
        raise Fail("script_invalid", detail=f"upload is not multipart/form-data: {exc}") from None


def apply_secrets(script: Script, set_: dict[str, dict[str, Any]], removed: set[str]) -> None:
    """Apply the secret changes an upload carries."""
    for n in removed:
        script.secrets.pop(n, None)
    script.secrets.update(set_)


def deploy(script: Script, version: Version, annotations: dict[str, Any] | None = None) -> Deployment:
    """Send 100% of traffic to `version` (what a PUT upload does, api-notes §1.3 path B)."""
    dep = Deployment(new_uuid(), [{"version_id": version.id, "percentage": 100.0}], annotations or {})
    script.deployments.append(dep)
    script.modified_on = now_iso()
    return dep


def redeploy_current(script: Script, source: str) -> None:
    """Make a new version identical to the current one and deploy it (secret changes do this).

    The deployment is marked `workers/triggered_by: secret`, as Cloudflare marks it (research
    notes §9: the read-only annotation wrangler's `versions list` shows, workers-sdk PR #5306).
    """
    cur = script.current
    v = Version(new_uuid(), len(script.versions) + 1, cur.modules, cur.metadata, cur.bindings, cur.main_module,
                cur.body_part, cur.etag, {"workers/triggered_by": "secret"}, source=source, assets=cur.assets)
    script.versions.append(v)
    deploy(script, v, {"workers/triggered_by": "secret"})


def check_latest_deployed(script: Script) -> None:
    """10215 unless the latest version serves 100% of traffic: a secret write makes and deploys a new
    version, so it is refused during a gradual deployment or with an undeployed version upload
    (api-notes §4.1, real-api-quirks #11; wrangler/src/secret/index.ts: "the latest version of
    your Worker isn't currently deployed")."""
    live = script.deployments[-1].versions if script.deployments else []
    latest = script.versions[-1]
    if not (len(live) == 1 and live[0]["version_id"] == latest.id):
        raise Fail("secret_version_not_deployed")


def get_script(ctx: Ctx) -> Script:
    """The script named in the path, or Fail 10007."""
    s = ctx.state.account_scripts(ctx.account_id).get(ctx.p["script_name"])
    if s is None or not s.versions:
        raise Fail("script_not_found")
    return s


# -- handlers -----------------------------------------------------------------------------------

def upload_script(ctx: Ctx) -> dict[str, Any]:
    """PUT /accounts/{a}/workers/scripts/{s}: store the upload and deploy it at 100% (api-notes §1.3 path B).

    Metadata `tags` (research notes 12-13 §3: PUT only), `logpush`, `observability`,
    `placement`, `tail_consumers` and `usage_model` (SDK script_update_params, §2.2) set the
    script's settings; keys left out keep theirs (inferred, research notes §3). Script names
    follow the schema's workers_script_name pattern, which the validator enforces.
    """
    scripts = ctx.state.account_scripts(ctx.account_id)
    existing = scripts.get(ctx.p["script_name"])
    version, secret_set, removed = build_version(ctx, existing, _upload_parts(ctx),
                                                 strict_inherit=ctx.req.q("bindings_inherit") == "strict",
                                                 immediate=True)
    plan = plan_migrations(ctx, existing, version.metadata)  # checked by build_version: applied below
    script = existing or Script(ctx.p["script_name"], ctx.account_id,
                                subdomain_enabled=ctx.state.config.new_script_subdomain_enabled)
    scripts[script.name] = script
    script.versions.append(version)
    state_assets.redeem(ctx.state, version)
    apply_secrets(script, secret_set, removed)
    meta = version.metadata
    apply_migrations(ctx, script, plan)
    for key in ("tags", "logpush", "observability", "placement", "tail_consumers", "streaming_tail_consumers",
                "usage_model"):
        if key in meta:
            setattr(script, key, meta[key])
    # The deployment a PUT makes carries only Cloudflare's own trigger annotation (research notes §9:
    # triggered_by values upload/secret/rollback/promotion, workers-sdk WR/versions/list.ts).
    deploy(script, version, {"workers/triggered_by": "upload"})
    return {**script.as_api(), "deployment_id": version.id, "startup_time_ms": 1, "pipeline_hash": version.etag,
            "entry_point": version.main_module or version.body_part}


def upload_version(ctx: Ctx) -> dict[str, Any]:
    """POST .../scripts/{s}/versions: a new version, not deployed; the Worker must exist (api-notes §4.3)."""
    script = get_script(ctx)
    version, secret_set, removed = build_version(ctx, script, _upload_parts(ctx),
                                                 strict_inherit=ctx.req.q("bindings_inherit") == "strict",
                                                 version_upload=True)
    # "Versions API requires main_module" (api-notes §2.2), except for an assets-only upload, which
    # `wrangler versions upload` sends to this endpoint without one (versions-upload.ts, research-16 A5)
    if version.main_module is None and not (version.body_part is None and version.assets is not None):
        raise Fail("script_invalid", detail="the versions API requires main_module")
    # tags are "not available for version uploads" (Cloudflare docs, workers/configuration/
    # multipart-upload-metadata). Migrations are taken: `wrangler versions upload` sends them
    # (workers-sdk deploy-helpers/src/deploy/versions-upload.ts) and they apply on deployment.
    if "tags" in version.metadata:
        raise Fail("script_invalid", detail="'tags' cannot be set in a version upload")
    if isinstance(version.metadata.get("migrations"), dict):
        version.pending_migrations = version.metadata["migrations"]
    script.versions.append(version)
    state_assets.redeem(ctx.state, version)
    apply_secrets(script, secret_set, removed)
    return script.version_api(version, ctx.state.user.email, ctx.state.user.id)


def list_versions(ctx: Ctx) -> Reply:
    """GET .../versions -> {items: [...]}, newest first (unverified order).

    `deployable=true` "Ignores pagination" (schema): every version at once. Otherwise page/per_page
    (schema; no per_page default declared: 10, unverified).
    """
    script = get_script(ctx)
    items = [script.version_api(v, ctx.state.user.email, ctx.state.user.id) for v in reversed(script.versions)]
    if ctx.req.q("deployable") == "true":
        return Reply({"items": items})
    page = paginate(items, ctx.req, default_per_page=10)
    return Reply({"items": page.result}, result_info=page.result_info)


def get_version(ctx: Ctx) -> dict[str, Any]:
    """GET .../versions/{version_id}."""
    script = get_script(ctx)
    for v in script.versions:
        if v.id == ctx.p["version_id"]:
            return script.version_api(v, ctx.state.user.email, ctx.state.user.id)
    raise Fail("version_not_found", id=ctx.p["version_id"])


def list_deployments(ctx: Ctx) -> dict[str, Any]:
    """GET .../deployments -> {deployments: [...]}, latest first ("The first deployment in the list is
    the latest deployment actively serving traffic", SDK docstring, research notes 12-13 §9)."""
    script = get_script(ctx)
    return {"deployments": [d.as_api(ctx.state.user.email) for d in reversed(script.deployments)]}


def create_deployment(ctx: Ctx) -> dict[str, Any]:
    """POST .../deployments: versions must exist and percentages add up to 100.

    The sum of 100 is what wrangler's CLI checks (api-notes §4.4); at most two versions, one
    each, as gradual deployments split between two (real-api-quirks #11, §4.4). That the server
    refuses more is unverified: the less forgiving choice. `force` and 10220 (rollback past a
    secret change) are not modelled.
    """
    script = get_script(ctx)
    body = ctx.body()
    versions = body.get("versions") or []
    known = {v.id: v for v in script.versions}
    for v in versions:
        if v.get("version_id") not in known:
            raise Fail("version_not_found", id=v.get("version_id"))
    total = sum(float(v.get("percentage", 0)) for v in versions)
    if not versions or abs(total - 100.0) > 1e-6:
        raise Fail("deployment_invalid", detail=f"percentages add up to {total:g}, not 100")
    ids = [v["version_id"] for v in versions]
    if len(ids) > 2 or len(set(ids)) != len(ids):
        raise Fail("deployment_invalid", detail="a deployment splits traffic between at most two different versions")
    # Migrations of a version upload take effect once it serves traffic, checked again against the
    # script as it is now (another deploy may have moved the tag: 10079). At most one version of a
    # deployment may carry unapplied migrations: the fake's own rule (unverified), by analogy with
    # 100405, which refuses split deployments whose versions disagree on DO exports
    # (deploy-helpers error-codes.ts).
    pending = [known[vid] for vid in ids if known[vid].pending_migrations is not None]
    if len(pending) > 1:
        raise Fail("deployment_invalid", detail="only one version of a deployment may carry migrations that "
                                                "are not applied yet")
    plan = plan_migrations(ctx, script, {"migrations": pending[0].pending_migrations}) if pending else None
    dep = Deployment(new_uuid(), [{"version_id": v["version_id"], "percentage": float(v["percentage"])}
                                  for v in versions], body.get("annotations") or {})
    if plan is not None:
        apply_migrations(ctx, script, plan)
        pending[0].pending_migrations = None
    script.deployments.append(dep)
    script.modified_on = now_iso()
    return dep.as_api(ctx.state.user.email)


def list_scripts(ctx: Ctx) -> list[dict[str, Any]]:
    """GET /accounts/{a}/workers/scripts (no pagination in the schema; by name, unverified)."""
    return [s.as_api() for _, s in sorted(ctx.state.account_scripts(ctx.account_id).items()) if s.versions]


def download_script(ctx: Ctx) -> Reply:
    """GET .../scripts/{s}: the deployed modules as multipart/form-data, not an envelope (workers-docs
    scripts.md: raw content; multipart for module Workers is unverified)."""
    script = get_script(ctx)
    ctype, body = multipart.build([(m.name, m.name, m.content_type, m.content) for m in script.modules.values()])
    return Reply(raw=body, content_type=ctype)


def delete_script(ctx: Ctx) -> None:
    """DELETE .../scripts/{s}: also drops its zone routes and custom domains (unverified).

    The schema's `force` says a delete is otherwise "stopped by associated service binding,
    durable object, or other binding"; that refusal is not modelled.
    """
    script = get_script(ctx)
    del ctx.state.account_scripts(ctx.account_id)[script.name]
    for zid, routes in ctx.state.zone_routes.items():
        ctx.state.zone_routes[zid] = [r for r in routes if r.script != script.name]
    for did in [d.id for d in ctx.state.domains.values() if d.service == script.name and d.account_id == ctx.account_id]:
        del ctx.state.domains[did]
    return None


def get_service(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/workers/services/{s} (wrangler's existence check, api-notes §1.1): one
    `production` environment, as every wrangler env is its own Worker (§7.2)."""
    script = get_script(ctx)
    env = {"environment": "production", "created_on": script.created_on, "modified_on": script.modified_on,
           "script": script.as_api()}
    return {"id": script.name, "default_environment": env, "environments": [env],
            "created_on": script.created_on, "modified_on": script.modified_on}


_S = "/accounts/{account_id}/workers/scripts/{script_name}"
_W, _R = "workers_scripts:write", "workers_scripts:read"
# Scopes: schema x-cfPermissionsRequired worker.script.* and worker.deployment.* (Workers Scripts
# read/write); the services path, outside the schema, reads like the scripts list.
ROUTES = [
    Route("GET", "/accounts/{account_id}/workers/scripts", list_scripts, _R),
    # bindings_inherit/excludeScript: wrangler sends both on this PUT and the SDK documents
    # bindings_inherit (api-notes §1.3 path B); the 2024 schema subset does not list them.
    Route("PUT", _S, upload_script, _W, extra_params=("bindings_inherit", "excludeScript")),
    Route("GET", _S, download_script, _R),
    Route("DELETE", _S, delete_script, _W),
    Route("GET", "/accounts/{account_id}/workers/services/{script_name}", get_service, _R),
    Route("POST", _S + "/versions", upload_version, _W, extra_params=("bindings_inherit",)),  # api-notes §1.3 A
    Route("GET", _S + "/versions", list_versions, _R),
    Route("GET", _S + "/versions/{version_id}", get_version, _R),
    Route("GET", _S + "/deployments", list_deployments, _R),
    Route("POST", _S + "/deployments", create_deployment, _W),
]
