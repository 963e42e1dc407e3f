"""Every binding kind cfworker uploads: one entry each (the binding table).

Validation (config.validate), the structure check and wrangler conversion (config.schema),
the upload form (upload.py), the plan's binding list, `cfworker dev`'s warnings and
docs/configuration.md (test-checked) all read this table. Adding a kind is one entry here
and one test. Shapes follow api-notes §2.3 and the research notes (A5), which checked them
against workers-sdk's create-worker-upload-form.ts; the config keys are wrangler's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfworker.bindings import fields as f
from cfworker.bindings.fields import Field
from cfworker.bindings.kind import BindingKind, BindingSpec
from cfworker.config.diagnostics import Diagnostics, key_path

_REMOTE = ("remote", "is for local development only (wrangler dev); cfworker ignores it")
_DEV_ONLY = "is for local development only; cfworker ignores it"
_D1_TOOLING = "is read by `wrangler d1 migrations`, not by deploys; ignored"


def _binding(example: str, what: str = "the name your code reads it by") -> Field:
    return Field("binding", f.binding_name(), required=True, example=f'"{example}"',
                 doc=f"{what}: env.{example}")


def _name(example: str) -> Field:
    return Field("name", f.binding_name(), required=True, example=f'"{example}"',
                 doc=f"the name your code reads it by: env.{example}")


def _exactly_one(*keys: str) -> Any:
    def rule(d: Diagnostics, path: str, values: Mapping[str, Any]) -> None:
        given = [k for k in keys if k in values]
        if len(given) != 1:
            what = "both " + " and ".join(given) if given else "neither " + " nor ".join(keys)
            d.error(path, f"sets {what}; exactly one of {', '.join(keys)} is needed", f"keep one of {', '.join(keys)}")
    return rule


def _at_most_one(*keys: str) -> Any:
    def rule(d: Diagnostics, path: str, values: Mapping[str, Any]) -> None:
        given = [k for k in keys if k in values]
        if len(given) > 1:
            d.error(path, f"sets both {' and '.join(given)}; they exclude each other", f"keep one of {', '.join(keys)}")
    return rule


def _workflow_owned_here(d: Diagnostics, path: str, values: Mapping[str, Any]) -> None:
    """limits and schedules belong to the Worker that defines the workflow (wrangler refuses them too)."""
    if "script_name" in values:
        for key in ("limits", "schedules"):
            if key in values:
                d.error(key_path(path, key), f"is set, but the workflow belongs to script {values['script_name']!r}",
                        "configure it on the Worker that defines the workflow, or remove script_name")


def _dispatch_wire(spec: BindingSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """outbound = {service, environment?, parameters?} becomes {worker: {service, environment?}, params: [{name}]}."""
    out: dict[str, Any] = {"type": "dispatch_namespace", "name": spec.name, "namespace": values["namespace"]}
    outbound = values.get("outbound")
    if outbound:
        worker = {"service": outbound["service"], **({"environment": outbound["environment"]}
                                                   if outbound.get("environment") else {})}
        out["outbound"] = {"worker": worker}
        if outbound.get("parameters"):
            out["outbound"]["params"] = [{"name": p} for p in outbound["parameters"]]
    return out


def _unsafe_ratelimit_wire(spec: BindingSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The older `[[unsafe.bindings]] type = "ratelimit"` form uploads the same JSON as [[ratelimits]]."""
    return {"type": "ratelimit", "name": spec.name, "namespace_id": values["namespace_id"], "simple": values["simple"]}


_SIMPLE = f.table(Field("limit", f.integer(low=1), required=True, example="100", doc="requests per period"),
                  Field("period", f.int_one_of(10, 60), required=True, example="60", doc="10 or 60 seconds"))
_BUCKET = f.pattern(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", "R2 bucket names are 3-63 lowercase letters, digits and "
                    "dashes, starting and ending with a letter or digit", 'e.g. bucket_name = "my-bucket"')
_WORKFLOW_NAME = f.pattern(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}", "workflow names are 1-64 letters, digits, '_' and "
                           "'-', not starting with '-'", 'e.g. name = "order-flow"')


KINDS: tuple[BindingKind, ...] = (
    BindingKind(
        "kv_namespaces", "kv_namespace", "KV namespace", provision="kv", dev="local", example="CACHE",
        doc="Workers KV. Without `id` a deploy reuses the namespace bound to the live Worker, else finds one by "
            "`title` (default `<name>-<binding>`), else creates it, and writes the id into worker.toml.",
        fields=(_binding("CACHE"),
                Field("id", f.hex32("KV namespace id", "copy the id from the dashboard under Storage & Databases > "
                                    "KV, or remove it to let cfworker find or create the namespace by title"),
                      wire="namespace_id", doc="32 hex; optional", example='"0123456789abcdef0123456789abcdef"'),
                Field("title", f.text(), wire=None, doc="the title to find or create it by (cfworker)",
                      example='"my-worker-cache"')),
        ignored=(("preview_id", _DEV_ONLY), _REMOTE)),
    BindingKind(
        "r2_buckets", "r2_bucket", "R2 bucket", provision="r2", example="BUCKET",
        doc="An R2 bucket. Without `bucket_name` a deploy uses (or creates) `<name>-<binding>`; a named bucket "
            "that does not exist is created; the name is written into worker.toml.",
        fields=(_binding("BUCKET"), Field("bucket_name", _BUCKET, doc="optional: created when missing", example='"my-bucket"'),
                Field("jurisdiction", f.one_of("eu", "fedramp"), doc="eu or fedramp", example='"eu"')),
        ignored=(("preview_bucket_name", _DEV_ONLY), _REMOTE)),
    BindingKind(
        "d1_databases", "d1", "D1 database", provision="d1", example="DB",
        doc="A D1 database. Without `database_id` a deploy finds the database by `database_name` (default "
            "`<name>-<binding>`) or creates it, and writes the id into worker.toml.",
        fields=(_binding("DB"),
                Field("database_id", f.uuid("D1 database id", "copy it from `wrangler d1 list` or the dashboard "
                                           "under Storage & Databases > D1, or remove it to find or create the "
                                           "database by database_name"), wire="id", doc="a UUID; optional",
                      example='"00000000-0000-4000-8000-000000000000"'),
                Field("database_name", f.text(), wire=None, doc="the name to find or create it by",
                      example='"my-db"')),
        ignored=(("preview_database_id", _DEV_ONLY), ("migrations_dir", _D1_TOOLING),
                 ("migrations_table", _D1_TOOLING), ("migrations_pattern", _D1_TOOLING), _REMOTE)),
    BindingKind(
        "services", "service", "service binding", example="AUTH",
        doc="Another Worker, called through the binding (optionally a named entrypoint).",
        fields=(_binding("AUTH"), Field("service", f.text(), required=True, example='"other-worker"',
                                        doc="the Worker to call"),
                Field("environment", f.text(), doc="that Worker's legacy environment", example='"production"'),
                Field("entrypoint", f.identifier("entrypoint"), doc="a named WorkerEntrypoint export",
                      example='"AuthEntrypoint"'),
                Field("props", f.open_table(), doc="a table passed to the entrypoint as ctx.props",
                      example='{ tenant = "acme" }')),
        ignored=(_REMOTE,)),
    BindingKind(
        "durable_objects.bindings", "durable_object_namespace", "Durable Object", name_key="name", example="COUNTER",
        doc="A Durable Object namespace. A class of this Worker (no `script_name`) needs a `[[migrations]]` "
            "entry that creates it, and the entry module must export it.",
        fields=(_name("COUNTER"),
                Field("class_name", f.identifier("class name"), required=True, example='"Counter"',
                      doc="the class your module exports"),
                Field("script_name", f.text(), doc="the Worker that defines the class, when not this one",
                      example='"other-worker"'),
                Field("environment", f.text(), doc="that Worker's legacy environment", example='"production"'))),
    BindingKind(
        "queues.producers", "queue", "queue producer", example="JOBS",
        doc="Send messages to a queue.",
        fields=(_binding("JOBS"), Field("queue", f.text(), required=True, wire="queue_name", example='"my-queue"',
                                        doc="the queue's name"),
                Field("delivery_delay", f.integer(0, 43200, "use a delay in seconds between 0 and 43200, which is "
                                                  "12 hours"), doc="seconds, 0-43200", example="0")),
        ignored=(_REMOTE,)),
    BindingKind(
        "analytics_engine_datasets", "analytics_engine", "Analytics Engine dataset", example="EVENTS",
        doc="Write data points to Workers Analytics Engine.",
        fields=(_binding("EVENTS"), Field("dataset", f.text(), doc="default: the binding name", example='"my_events"'))),
    BindingKind(
        "ai", "ai", "Workers AI", shape="single", example="AI", dev_note="Workers AI runs on Cloudflare only",
        doc="Workers AI (one per Worker).",
        fields=(_binding("AI"), Field("staging", f.boolean(), doc="use the staging models", example="false")),
        ignored=(_REMOTE,)),
    BindingKind("browser", "browser", "Browser Rendering", shape="single", example="BROWSER",
                doc="Browser Rendering (one per Worker).", fields=(_binding("BROWSER"),), ignored=(_REMOTE,)),
    BindingKind("images", "images", "Images", shape="single", example="IMAGES",
                doc="Cloudflare Images (one per Worker).", fields=(_binding("IMAGES"),), ignored=(_REMOTE,)),
    BindingKind("media", "media", "Media Transformations", shape="single", example="MEDIA",
                doc="Media Transformations (one per Worker).", fields=(_binding("MEDIA"),), ignored=(_REMOTE,)),
    BindingKind("stream", "stream", "Stream", shape="single", example="STREAM",
                doc="Cloudflare Stream (one per Worker).", fields=(_binding("STREAM"),), ignored=(_REMOTE,)),
    BindingKind("websearch", "websearch", "Web Search", shape="single", example="WEBSEARCH",
                doc="Cloudflare Web Search (one per Worker).", fields=(_binding("WEBSEARCH"),), ignored=(_REMOTE,)),
    BindingKind("version_metadata", "version_metadata", "version metadata", shape="single",
                example="CF_VERSION_METADATA", doc="The version id and tag of the running version.",
                fields=(_binding("CF_VERSION_METADATA"),)),
    BindingKind(
        "vectorize", "vectorize", "Vectorize index", example="VECTORS", doc="A Vectorize index.",
        dev_note="Vectorize runs on Cloudflare only",
        fields=(_binding("VECTORS"), Field("index_name", f.text(), required=True, example='"my-index"')),
        ignored=(_REMOTE,)),
    BindingKind(
        "hyperdrive", "hyperdrive", "Hyperdrive config", example="DB", doc="A Hyperdrive database config.",
        fields=(_binding("DB"), Field("id", f.hex32("Hyperdrive config id", "copy it from `wrangler hyperdrive "
                                                     "list` or the dashboard"), required=True,
                                      example='"0123456789abcdef0123456789abcdef"')),
        ignored=(("localConnectionString", "is for local development only (wrangler dev); cfworker ignores it"),)),
    BindingKind(
        "send_email", "send_email", "email sender", name_key="name", example="EMAIL",
        doc="Send email through Email Routing (`destination_address` or `allowed_destination_addresses`, "
            "not both).",
        fields=(_name("EMAIL"),
                Field("destination_address", f.text(), doc="the one address it may send to",
                      example='"team@example.com"'),
                Field("allowed_destination_addresses", f.str_list(), doc="or: the addresses it may send to",
                      example='["a@example.com"]'),
                Field("allowed_sender_addresses", f.str_list(), doc="the From addresses it may use",
                      example='["noreply@example.com"]')),
        rules=(_at_most_one("destination_address", "allowed_destination_addresses"),), ignored=(_REMOTE,)),
    BindingKind(
        "ratelimits", "ratelimit", "rate limiter", name_key="name", example="LIMITER",
        doc="The Rate Limiting API: `simple = { limit, period }` with a period of 10 or 60 seconds.",
        fields=(_name("LIMITER"), Field("namespace_id", f.digits_text(), required=True, example='"1001"',
                                        doc="a positive integer, unique in the account"),
                Field("simple", _SIMPLE, required=True, example="{ limit = 100, period = 60 }"))),
    BindingKind(
        "unsafe.bindings", "ratelimit", "unsafe binding", name_key="name", example="LIMITER",
        doc="Only wrangler's older rate-limit form (`type = \"ratelimit\"`); it uploads as `[[ratelimits]]` does.",
        fields=(_name("LIMITER"),
                Field("type", f.one_of("ratelimit"), required=True, wire=None, example='"ratelimit"',
                      doc="only ratelimit; other unsafe bindings are not supported"),
                Field("namespace_id", f.digits_text(), required=True, example='"1001"'),
                Field("simple", _SIMPLE, required=True, example="{ limit = 100, period = 60 }")),
        to_wire=_unsafe_ratelimit_wire),
    BindingKind(
        "workflows", "workflow", "Workflow", example="ORDERS",
        doc="A Workflow. One this Worker defines (no `script_name`) is registered after each upload where it "
            "differs, and its class must be exported by the entry module.",
        fields=(_binding("ORDERS"), Field("name", _WORKFLOW_NAME, required=True, wire="workflow_name",
                                          example='"order-flow"', doc="the workflow's name, unique in the account"),
                Field("class_name", f.identifier("class name"), required=True, example='"OrderFlow"'),
                Field("script_name", f.text(), doc="the Worker that defines it, when not this one",
                      example='"other-worker"'),
                Field("limits", f.table(Field("steps", f.integer(low=1), doc="most steps per instance")), wire=None,
                      doc="{ steps }: most steps per instance", example="{ steps = 1000 }"),
                Field("schedules", f.str_or_list(), wire=None, doc="cron expressions that start instances",
                      example='["0 * * * *"]')),
        rules=(_workflow_owned_here,)),
    BindingKind(
        "dispatch_namespaces", "dispatch_namespace", "dispatch namespace", example="DISPATCHER",
        doc="Workers for Platforms: call user Workers of a dispatch namespace, optionally through an outbound "
            "Worker.", dev_note="dispatch namespaces run on Cloudflare only",
        fields=(_binding("DISPATCHER"), Field("namespace", f.text(), required=True, example='"customers"'),
                Field("outbound", f.table(Field("service", f.text(), required=True, example='"outbound-worker"'),
                                          Field("environment", f.text()),
                                          Field("parameters", f.str_list())),
                      doc="{ service, environment?, parameters? }: a Worker every outbound request goes through",
                      example='{ service = "outbound-worker" }')),
        to_wire=_dispatch_wire, ignored=(_REMOTE,)),
    BindingKind(
        "mtls_certificates", "mtls_certificate", "mTLS certificate", example="CERT",
        doc="A client certificate for mTLS subrequests.", dev_note="mTLS certificates run on Cloudflare only",
        fields=(_binding("CERT"), Field("certificate_id", f.text(), required=True, example='"<id>"')),
        ignored=(_REMOTE,)),
    BindingKind(
        "secrets_store_secrets", "secrets_store_secret", "Secrets Store secret", example="API_KEY",
        doc="A secret from a Secrets Store.",
        fields=(_binding("API_KEY"), Field("store_id", f.text(), required=True, example='"<store id>"'),
                Field("secret_name", f.text(), required=True, example='"api-key"'))),
    BindingKind(
        "pipelines", "pipelines", "pipeline", example="EVENTS",
        doc="Send records to a pipeline: `stream` (or the older `pipeline`), one of them.",
        fields=(_binding("EVENTS"), Field("stream", f.text(), doc="the stream id", example='"<stream id>"'),
                Field("pipeline", f.text(), doc="or: the pipeline's name (older form)", example='"my-pipeline"')),
        rules=(_exactly_one("stream", "pipeline"),), ignored=(_REMOTE,)),
    BindingKind("worker_loaders", "worker_loader", "Worker loader", example="LOADER",
                doc="Load Worker code at run time (Dynamic Worker Loaders).", fields=(_binding("LOADER"),)),
    BindingKind(
        "logfwdr.bindings", "logfwdr", "logfwdr", name_key="name", inheritable=True, example="LOGS",
        doc="Log forwarding (inherited by environments, as in wrangler).",
        fields=(_name("LOGS"), Field("destination", f.text(), required=True, example='"<destination>"'))),
    BindingKind("ai_search", "ai_search", "AI Search instance", example="SEARCH", doc="An AI Search instance.",
                fields=(_binding("SEARCH"), Field("instance_name", f.text(), required=True, example='"docs"')),
                ignored=(_REMOTE,), dev_note="AI Search runs on Cloudflare only"),
    BindingKind("ai_search_namespaces", "ai_search_namespace", "AI Search namespace", example="SEARCH_NS",
                doc="An AI Search namespace.",
                fields=(_binding("SEARCH_NS"), Field("namespace", f.text(), required=True, example='"default"')),
                ignored=(_REMOTE,), dev_note="AI Search runs on Cloudflare only"),
    BindingKind("agent_memory", "agent_memory", "Agent Memory namespace", example="MEMORY",
                doc="An Agent Memory namespace.",
                fields=(_binding("MEMORY"), Field("namespace", f.text(), required=True, example='"agents"')),
                ignored=(_REMOTE,)),
    BindingKind("artifacts", "artifacts", "Artifacts namespace", example="ARTIFACTS", doc="An Artifacts namespace.",
                fields=(_binding("ARTIFACTS"), Field("namespace", f.text(), required=True, example='"builds"')),
                ignored=(_REMOTE,)),
    BindingKind("flagship", "flagship", "Flagship app", example="FLAGS", doc="Feature flags from Flagship.",
                fields=(_binding("FLAGS"), Field("app_id", f.text(), doc="the app's id", example='"<app id>"')),
                ignored=(_REMOTE,)),
    BindingKind("vpc_services", "vpc_service", "VPC service", example="PRIVATE_API",
                doc="A service in a private network (Workers VPC).",
                fields=(_binding("PRIVATE_API"), Field("service_id", f.text(), required=True, example='"<id>"')),
                ignored=(_REMOTE,), dev_note="Workers VPC runs on Cloudflare only"),
    BindingKind("vpc_networks", "vpc_network", "VPC network", example="PRIVATE_NET",
                doc="A private network (Workers VPC): `tunnel_id` or `network_id`, one of them.",
                fields=(_binding("PRIVATE_NET"), Field("tunnel_id", f.text(), doc="a Cloudflare Tunnel id",
                                                       example='"<tunnel id>"'),
                        Field("network_id", f.text(), doc="or: a network id", example='"<network id>"')),
                rules=(_exactly_one("tunnel_id", "network_id"),), ignored=(_REMOTE,),
                dev_note="Workers VPC runs on Cloudflare only"),
)

BY_KEY: dict[str, BindingKind] = {kind.key: kind for kind in KINDS}
# Tables that hold binding lists (and possibly more): durable_objects, queues, logfwdr, unsafe.
PARENTS: frozenset[str] = frozenset(kind.parent for kind in KINDS if kind.parent)


def kind(key: str) -> BindingKind:
    """The table entry for a BindingSpec's kind."""
    return BY_KEY[key]
