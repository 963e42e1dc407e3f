"""Every binding kind of the table, checked against shapes written by hand (api-notes §2.3).

EXPECTED is written independently of cfworker/bindings/table.py: for each kind key, a minimal
valid worker.toml snippet and the exact binding JSON wrangler would upload for it (api-notes
§2.3, research notes A5), and an invalid snippet with the one error it must give (file, line,
key path, message and hint). A kind added to the table without an entry here fails
test_every_kind_has_a_case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cfworker.bindings.table import KINDS
from cfworker.config.diagnostics import Diagnostics
from cfworker.config.loader import load_project
from cfworker.config.model import Project
from cfworker.errors import ConfigError
from cfworker.upload import build_upload_form
from tests.unit.config import conftest as config_fixtures
from tests.unit.config.conftest import HEADER
from tests.unit.deploy.helpers import bundle

check = config_fixtures.check  # the config tests' `check` fixture: validate TOML text purely, as worker.toml

Check = Callable[..., tuple[Project | None, Diagnostics]]
FIRST = len(HEADER.splitlines()) + 1  # the line a snippet's first line lands on (HEADER is lines 1-3)


@dataclass(frozen=True)
class Case:
    """One kind: a valid snippet and its binding JSON; an invalid snippet and its one error."""

    valid: str
    wire: dict[str, Any]  # the exact metadata binding, written from api-notes §2.3
    invalid: str
    path: str  # the key path the error names
    line: int  # 1-based line *within the invalid snippet*
    message: str  # a fragment of the message
    hint: str  # a fragment of the hint


HEX = "0123456789abcdef0123456789abcdef"

EXPECTED: dict[str, Case] = {
    "kv_namespaces": Case(
        f'[[kv_namespaces]]\nbinding = "CACHE"\nid = "{HEX}"\ntitle = "my-cache"\n',
        # §2.3: `id` uploads as namespace_id; cfworker's own `title` is not uploaded
        {"type": "kv_namespace", "name": "CACHE", "namespace_id": HEX},
        '[[kv_namespaces]]\nbinding = "CACHE"\nid = "not-an-id"\n',
        "kv_namespaces[0].id", 3, '"not-an-id" is not a KV namespace id', "dashboard"),
    "r2_buckets": Case(
        '[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "my-bucket"\njurisdiction = "eu"\n',
        {"type": "r2_bucket", "name": "BUCKET", "bucket_name": "my-bucket", "jurisdiction": "eu"},
        '[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "My_Bucket"\n',
        "r2_buckets[0].bucket_name", 3, '"My_Bucket" is not valid', 'bucket_name = "my-bucket"'),
    "d1_databases": Case(
        '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "my-db"\n'
        'database_id = "4B1E9E2A-0000-4000-8000-000000000000"\n',
        # §2.3: wrangler sends the database id as `id` (lowercase uuid); database_name is not uploaded
        {"type": "d1", "name": "DB", "id": "4b1e9e2a-0000-4000-8000-000000000000"},
        '[[d1_databases]]\nbinding = "DB"\ndatabase_id = "nope"\n',
        "d1_databases[0].database_id", 3, '"nope" is not a D1 database id, which is a UUID', "wrangler d1 list"),
    "services": Case(
        '[[services]]\nbinding = "AUTH"\nservice = "auth-worker"\nentrypoint = "AuthApi"\n'
        'props = { tenant = "acme" }\n',
        {"type": "service", "name": "AUTH", "service": "auth-worker", "entrypoint": "AuthApi",
         "props": {"tenant": "acme"}},
        '[[services]]\nbinding = "AUTH"\nservice = "auth-worker"\nentrypoint = "Auth-Api"\n',
        "services[0].entrypoint", 4, '"Auth-Api" is not valid', 'e.g. "Auth_Api"'),
    "durable_objects.bindings": Case(
        '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "Counter"\n'
        '[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Counter"]\n',
        # §2.3: the name key is `name`, not `binding`; no script_name for a class of this Worker
        {"type": "durable_object_namespace", "name": "COUNTER", "class_name": "Counter"},
        '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "9Counter"\n',
        "durable_objects.bindings[0].class_name", 3, '"9Counter" is not valid: a class name', 'e.g. "_9Counter"'),
    "queues.producers": Case(
        '[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\ndelivery_delay = 30\n',
        # §2.3: the config key `queue` uploads as queue_name
        {"type": "queue", "name": "JOBS", "queue_name": "jobs", "delivery_delay": 30},
        '[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\ndelivery_delay = 50000\n',
        "queues.producers[0].delivery_delay", 4, "50000 is out of range", "between 0 and 43200"),
    "analytics_engine_datasets": Case(
        '[[analytics_engine_datasets]]\nbinding = "EVENTS"\ndataset = "my_events"\n',
        {"type": "analytics_engine", "name": "EVENTS", "dataset": "my_events"},
        '[[analytics_engine_datasets]]\nbinding = "EVENTS"\ndataset = 5\n',
        "analytics_engine_datasets[0].dataset", 3, "expected a string but got 5", 'dataset = "..."'),
    "ai": Case(
        '[ai]\nbinding = "AI"\nstaging = true\n',
        {"type": "ai", "name": "AI", "staging": True},
        '[ai]\nbinding = "AI"\nstaging = "yes"\n',
        "ai.staging", 3, 'expected true or false but got "yes"', "staging = true"),
    "browser": Case(
        'browser = { binding = "BROWSER" }\n',
        {"type": "browser", "name": "BROWSER"},
        '[browser]\nbinding = "MY BROWSER"\n',
        "browser.binding", 2, '"MY BROWSER" has spaces or control characters', 'e.g. "MY_BROWSER"'),
    "images": Case(
        '[images]\nbinding = "IMAGES"\n',
        {"type": "images", "name": "IMAGES"},
        '[images]\n',
        "images.binding", 1, "is required", 'binding = "IMAGES"'),
    "media": Case(
        '[media]\nbinding = "MEDIA"\n',
        {"type": "media", "name": "MEDIA"},
        'media = "MEDIA"\n',
        "media", 1, 'expected a table but got "MEDIA"', 'media = { binding = "MEDIA" }'),
    "stream": Case(
        '[stream]\nbinding = "STREAM"\n',
        {"type": "stream", "name": "STREAM"},
        '[stream]\nbinding = 1\n',
        "stream.binding", 2, "expected a string but got 1", 'binding = "..."'),
    "websearch": Case(
        '[websearch]\nbinding = "WEBSEARCH"\n',
        {"type": "websearch", "name": "WEBSEARCH"},
        '[websearch]\nbinding = "web search"\n',
        "websearch.binding", 2, '"web search" has spaces or control characters', 'e.g. "web_search"'),
    "version_metadata": Case(
        '[version_metadata]\nbinding = "CF_VERSION_METADATA"\n',
        # §2.3 / A5: a single table with only `binding`; uploads {type, name} and nothing else
        {"type": "version_metadata", "name": "CF_VERSION_METADATA"},
        '[version_metadata]\n',
        "version_metadata.binding", 1, "is required", "binding ="),
    "vectorize": Case(
        '[[vectorize]]\nbinding = "VECTORS"\nindex_name = "my-index"\n',
        {"type": "vectorize", "name": "VECTORS", "index_name": "my-index"},
        '[[vectorize]]\nbinding = "VECTORS"\n',
        "vectorize[0].index_name", 1, "is required", "index_name ="),
    "hyperdrive": Case(
        f'[[hyperdrive]]\nbinding = "PG"\nid = "{HEX}"\n',
        {"type": "hyperdrive", "name": "PG", "id": HEX},
        '[[hyperdrive]]\nbinding = "PG"\nid = "abc"\n',
        "hyperdrive[0].id", 3, '"abc" is not a Hyperdrive config id', "wrangler hyperdrive list"),
    "send_email": Case(
        '[[send_email]]\nname = "EMAIL"\ndestination_address = "team@example.com"\n'
        'allowed_sender_addresses = ["noreply@example.com"]\n',
        # A5: the name key is `name`; destination_address xor allowed_destination_addresses
        {"type": "send_email", "name": "EMAIL", "destination_address": "team@example.com",
         "allowed_sender_addresses": ["noreply@example.com"]},
        '[[send_email]]\nname = "EMAIL"\ndestination_address = "a@example.com"\n'
        'allowed_destination_addresses = ["b@example.com"]\n',
        "send_email[0]", 1, "destination_address and allowed_destination_addresses", "keep one of"),
    "ratelimits": Case(
        '[[ratelimits]]\nname = "LIMITER"\nnamespace_id = 1001\nsimple = { limit = 100, period = 60 }\n',
        # §2.3 / A5: namespace_id is sent as a string of digits (written as a number here), period 10|60
        {"type": "ratelimit", "name": "LIMITER", "namespace_id": "1001", "simple": {"limit": 100, "period": 60}},
        '[[ratelimits]]\nname = "LIMITER"\nnamespace_id = "1001"\nsimple = { limit = 100, period = 30 }\n',
        "ratelimits[0].simple.period", 4, "30 is not one of 10, 60", "use one of: 10, 60"),
    "unsafe.bindings": Case(
        '[[unsafe.bindings]]\nname = "OLD_LIMITER"\ntype = "ratelimit"\nnamespace_id = "1001"\n'
        'simple = { limit = 5, period = 10 }\n',
        # A5: the older unsafe form uploads the same JSON as [[ratelimits]] (no unsafe_ prefix, no extra keys)
        {"type": "ratelimit", "name": "OLD_LIMITER", "namespace_id": "1001", "simple": {"limit": 5, "period": 10}},
        '[[unsafe.bindings]]\nname = "LIMITER"\ntype = "hyperdrive"\nnamespace_id = "1001"\n'
        'simple = { limit = 5, period = 10 }\n',
        "unsafe.bindings[0].type", 3, '"hyperdrive" is not one of ratelimit', "use one of: ratelimit"),
    "workflows": Case(
        '[[workflows]]\nbinding = "ORDERS"\nname = "order-flow"\nclass_name = "OrderFlow"\n'
        'limits = { steps = 100 }\nschedules = ["0 * * * *"]\n',
        # §2.3 / A3: `name` uploads as workflow_name; limits and schedules go to the workflows API, not here
        {"type": "workflow", "name": "ORDERS", "workflow_name": "order-flow", "class_name": "OrderFlow"},
        '[[workflows]]\nbinding = "ORDERS"\nname = "order-flow"\nclass_name = "OrderFlow"\n'
        'script_name = "other"\nschedules = ["0 * * * *"]\n',
        "workflows[0].schedules", 6, "belongs to script 'other'", "remove script_name"),
    "dispatch_namespaces": Case(
        '[[dispatch_namespaces]]\nbinding = "DISPATCHER"\nnamespace = "customers"\n'
        'outbound = { service = "outbound-worker", environment = "production", parameters = ["customer_id"] }\n',
        # §2.3 / A5: outbound {service, environment, parameters} -> {worker: {service, environment},
        # params: [{name}]} (objects, not strings)
        {"type": "dispatch_namespace", "name": "DISPATCHER", "namespace": "customers",
         "outbound": {"worker": {"service": "outbound-worker", "environment": "production"},
                      "params": [{"name": "customer_id"}]}},
        '[[dispatch_namespaces]]\nbinding = "DISPATCHER"\nnamespace = "customers"\n'
        'outbound = { environment = "production" }\n',
        "dispatch_namespaces[0].outbound.service", 4, "is required", "service ="),
    "mtls_certificates": Case(
        '[[mtls_certificates]]\nbinding = "CERT"\ncertificate_id = "cert-123"\n',
        {"type": "mtls_certificate", "name": "CERT", "certificate_id": "cert-123"},
        '[[mtls_certificates]]\nbinding = "CERT"\ncertificate_id = 123\n',
        "mtls_certificates[0].certificate_id", 3, "expected a string but got 123", 'certificate_id = "..."'),
    "secrets_store_secrets": Case(
        '[[secrets_store_secrets]]\nbinding = "API_KEY"\nstore_id = "store-1"\nsecret_name = "api-key"\n',
        {"type": "secrets_store_secret", "name": "API_KEY", "store_id": "store-1", "secret_name": "api-key"},
        '[[secrets_store_secrets]]\nbinding = "API_KEY"\nstore_id = "store-1"\n',
        "secrets_store_secrets[0].secret_name", 1, "is required", "secret_name ="),
    "pipelines": Case(
        '[[pipelines]]\nbinding = "RECORDS"\nstream = "stream-1"\n',
        # §2.3 / A5: the wire type is `pipelines` (plural); one of stream | pipeline
        {"type": "pipelines", "name": "RECORDS", "stream": "stream-1"},
        '[[pipelines]]\nbinding = "EVENTS"\nstream = "stream-1"\npipeline = "old"\n',
        "pipelines[0]", 1, "both stream and pipeline", "keep one of stream, pipeline"),
    "worker_loaders": Case(
        '[[worker_loaders]]\nbinding = "LOADER"\n',
        {"type": "worker_loader", "name": "LOADER"},
        '[[worker_loaders]]\nbinding = "1 LOADER"\n',
        "worker_loaders[0].binding", 2, '"1 LOADER" has spaces or control characters', 'e.g. "_1_LOADER"'),
    "logfwdr.bindings": Case(
        '[[logfwdr.bindings]]\nname = "LOGS"\ndestination = "dest-1"\n',
        # A5: the name key is `name`
        {"type": "logfwdr", "name": "LOGS", "destination": "dest-1"},
        '[[logfwdr.bindings]]\nname = "LOGS"\n',
        "logfwdr.bindings[0].destination", 1, "is required", "destination ="),
    "ai_search": Case(
        '[[ai_search]]\nbinding = "SEARCH"\ninstance_name = "docs"\n',
        {"type": "ai_search", "name": "SEARCH", "instance_name": "docs"},
        '[[ai_search]]\nbinding = "SEARCH"\ninstance_name = ""\n',
        "ai_search[0].instance_name", 3, "is empty", "set instance_name to a value"),
    "ai_search_namespaces": Case(
        '[[ai_search_namespaces]]\nbinding = "SEARCH_NS"\nnamespace = "default"\n',
        {"type": "ai_search_namespace", "name": "SEARCH_NS", "namespace": "default"},
        '[[ai_search_namespaces]]\nbinding = "SEARCH_NS"\nnamespace = ["default"]\n',
        "ai_search_namespaces[0].namespace", 3, 'expected a string but got ["default"]', 'namespace = "..."'),
    "agent_memory": Case(
        '[[agent_memory]]\nbinding = "MEMORY"\nnamespace = "agents"\n',
        {"type": "agent_memory", "name": "MEMORY", "namespace": "agents"},
        '[[agent_memory]]\nbinding = "MEMORY"\n',
        "agent_memory[0].namespace", 1, "is required", "namespace ="),
    "artifacts": Case(
        '[[artifacts]]\nbinding = "ARTIFACTS"\nnamespace = "builds"\n',
        {"type": "artifacts", "name": "ARTIFACTS", "namespace": "builds"},
        '[[artifacts]]\nnamespace = "builds"\n',
        "artifacts[0].binding", 1, "is required", 'binding = "'),
    "flagship": Case(
        '[[flagship]]\nbinding = "FLAGS"\napp_id = "app-1"\n',
        {"type": "flagship", "name": "FLAGS", "app_id": "app-1"},
        '[[flagship]]\nbinding = "FLAGS"\napp_id = true\n',
        "flagship[0].app_id", 3, "expected a string but got true", 'app_id = "..."'),
    "vpc_services": Case(
        '[[vpc_services]]\nbinding = "PRIVATE_API"\nservice_id = "svc-1"\n',
        {"type": "vpc_service", "name": "PRIVATE_API", "service_id": "svc-1"},
        '[[vpc_services]]\nbinding = "PRIVATE_API"\n',
        "vpc_services[0].service_id", 1, "is required", "service_id ="),
    "vpc_networks": Case(
        '[[vpc_networks]]\nbinding = "PRIVATE_NET"\nnetwork_id = "net-1"\n',
        # §2.3: tunnel_id | network_id, exactly one
        {"type": "vpc_network", "name": "PRIVATE_NET", "network_id": "net-1"},
        '[[vpc_networks]]\nbinding = "PRIVATE_NET"\n',
        "vpc_networks[0]", 1, "neither tunnel_id nor network_id", "keep one of tunnel_id, network_id"),
}


def test_every_kind_has_a_case() -> None:
    """A kind added to the binding table needs its hand-written entry here (and the reverse)."""
    assert set(EXPECTED) == {k.key for k in KINDS}


def _ok(check: Check, text: str, env: str | None = None) -> Project:
    project, diagnostics = check(text, env=env)
    assert project is not None, diagnostics.render()
    assert diagnostics.render() == []  # a minimal valid snippet gives neither errors nor warnings
    return project


def _uploaded(project: Project) -> list[dict[str, Any]]:
    return build_upload_form(project, bundle()).metadata["bindings"]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_valid_snippet_uploads_the_expected_binding(check: Check, key: str) -> None:
    """The snippet loads without problems and the upload metadata holds exactly the hand-written JSON."""
    project = _ok(check, HEADER + EXPECTED[key].valid)
    assert [b.kind for b in project.bindings] == [key]
    assert _uploaded(project) == [EXPECTED[key].wire]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_invalid_snippet_gives_one_located_error_with_a_hint(check: Check, key: str) -> None:
    """One error, rendered `worker.toml:LINE: PATH: message (hint)`, and no project."""
    case = EXPECTED[key]
    assert case.message and case.hint
    project, diagnostics = check(HEADER + case.invalid)
    assert project is None
    assert len(diagnostics.errors) == 1, diagnostics.render()
    problem = diagnostics.errors[0]
    line = FIRST + case.line - 1
    assert (problem.path, problem.line) == (case.path, line)
    assert problem.hint and case.hint in problem.hint
    assert case.message in problem.message
    [rendered] = diagnostics.render_errors()
    assert rendered == f"worker.toml:{line}: {case.path}: {problem.message} ({problem.hint})"
    error = diagnostics.to_error()  # what the CLI shows: the same line, the hint apart
    assert error.message == f"worker.toml:{line}: {case.path}: {problem.message}" and error.hint == problem.hint


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_through_the_real_loader(tmp_path: Path, key: str) -> None:
    """load_project (files on disk): the valid snippet loads silently; the invalid one raises one ConfigError
    whose message is `worker.toml:LINE: PATH: ...` and whose hint is the problem's hint."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default {}\n", encoding="utf-8")
    config = tmp_path / "worker.toml"
    config.write_text(HEADER + EXPECTED[key].valid, encoding="utf-8")
    project, warnings = load_project(None, env=None, cwd=tmp_path, today=config_fixtures.TODAY)
    assert warnings == [] and _uploaded(project) == [EXPECTED[key].wire]
    case = EXPECTED[key]
    config.write_text(HEADER + case.invalid, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_project(None, env=None, cwd=tmp_path, today=config_fixtures.TODAY)
    assert info.value.message.startswith(f"worker.toml:{FIRST + case.line - 1}: {case.path}: ")
    assert case.message in info.value.message and case.hint in (info.value.hint or "")


def test_entrypoint_message_is_grammatical(check: Check) -> None:
    _, d = check(HEADER + EXPECTED["services"].invalid)
    assert "an entrypoint uses" in d.errors[0].message


# -- variants: optional fields that change the JSON --------------------------------------------
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ('[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "Room"\nscript_name = "rooms"\n'
     'environment = "production"\n',
     {"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room", "script_name": "rooms",
      "environment": "production"}),
    ('[[workflows]]\nbinding = "ORDERS"\nname = "order-flow"\nclass_name = "OrderFlow"\nscript_name = "other"\n',
     {"type": "workflow", "name": "ORDERS", "workflow_name": "order-flow", "class_name": "OrderFlow",
      "script_name": "other"}),
    ('[[pipelines]]\nbinding = "P"\npipeline = "my-pipeline"\n',  # §2.3: the older form
     {"type": "pipelines", "name": "P", "pipeline": "my-pipeline"}),
    ('[[vpc_networks]]\nbinding = "NET"\ntunnel_id = "tun-1"\n',
     {"type": "vpc_network", "name": "NET", "tunnel_id": "tun-1"}),
    ('[[send_email]]\nname = "EMAIL"\nallowed_destination_addresses = ["a@example.com", "b@example.com"]\n',
     {"type": "send_email", "name": "EMAIL", "allowed_destination_addresses": ["a@example.com", "b@example.com"]}),
    ('[[send_email]]\nname = "EMAIL"\n', {"type": "send_email", "name": "EMAIL"}),
    ('[[dispatch_namespaces]]\nbinding = "D"\nnamespace = "ns"\n',
     {"type": "dispatch_namespace", "name": "D", "namespace": "ns"}),
    ('[[dispatch_namespaces]]\nbinding = "D"\nnamespace = "ns"\noutbound = { service = "out" }\n',
     {"type": "dispatch_namespace", "name": "D", "namespace": "ns", "outbound": {"worker": {"service": "out"}}}),
    ('[[dispatch_namespaces]]\nbinding = "D"\nnamespace = "ns"\noutbound = { service = "out", parameters = ["a", "b"] }\n',
     {"type": "dispatch_namespace", "name": "D", "namespace": "ns",
      "outbound": {"worker": {"service": "out"}, "params": [{"name": "a"}, {"name": "b"}]}}),
    ('[[services]]\nbinding = "S"\nservice = "svc"\nenvironment = "production"\n',
     {"type": "service", "name": "S", "service": "svc", "environment": "production"}),
    ('ai = { binding = "AI" }\n', {"type": "ai", "name": "AI"}),
    ('[[analytics_engine_datasets]]\nbinding = "AE"\n', {"type": "analytics_engine", "name": "AE"}),
    ('[[queues.producers]]\nbinding = "Q"\nqueue = "q"\n', {"type": "queue", "name": "Q", "queue_name": "q"}),
    ('[[r2_buckets]]\nbinding = "B"\nbucket_name = "b-1"\n', {"type": "r2_bucket", "name": "B", "bucket_name": "b-1"}),
    ('[[flagship]]\nbinding = "FLAGS"\n', {"type": "flagship", "name": "FLAGS"}),
    ('[[ratelimits]]\nname = "RL"\nnamespace_id = "7"\n[ratelimits.simple]\nlimit = 1\nperiod = 10\n',
     {"type": "ratelimit", "name": "RL", "namespace_id": "7", "simple": {"limit": 1, "period": 10}}),
]


@pytest.mark.parametrize(("snippet", "wire"), VARIANTS, ids=[w["type"] for _, w in VARIANTS])
def test_optional_fields_change_the_json_as_wrangler_sends_it(check: Check, snippet: str, wire: dict[str, Any]) -> None:
    """Optional keys appear in the JSON when set and are absent (not null) when not."""
    assert _uploaded(_ok(check, HEADER + snippet)) == [wire]


def test_durable_object_binding_without_migration_is_not_a_load_error(check: Check) -> None:
    """A binding to a class of this Worker with no [[migrations]] still loads (the deploy plan blocks it)."""
    project = _ok(check, HEADER + '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "Counter"\n')
    assert project.migrations == ()
    assert _uploaded(project) == [{"type": "durable_object_namespace", "name": "COUNTER", "class_name": "Counter"}]


def test_all_kinds_together_upload_in_table_order_after_vars(check: Check) -> None:
    """Every kind at once: one binding each, vars first, nothing lost or merged."""
    snippets = [EXPECTED[k].valid for k in sorted(EXPECTED)]
    inline = [s for s in snippets if not s.startswith("[")]  # `browser = {...}` must precede any table header
    tables = [s for s in snippets if s.startswith("[")]
    text = HEADER + "".join(inline) + '[vars]\nGREETING = "hi"\n' + "".join(tables)
    project = _ok(check, text)
    uploaded = _uploaded(project)
    assert uploaded[0] == {"type": "plain_text", "name": "GREETING", "text": "hi"}
    assert [b.kind for b in project.bindings] == [k.key for k in KINDS]
    assert len({b["name"] for b in uploaded}) == len(EXPECTED) + 1  # the cases use distinct names
    assert uploaded[1:] == [EXPECTED[k.key].wire for k in KINDS]


# -- binding names are unique across kinds ----------------------------------------------------
def _name_of(key: str) -> str:
    return str(EXPECTED[key].wire["name"])


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_binding_name_used_by_another_kind_is_an_error(check: Check, key: str) -> None:
    """Each kind's name clashes with a binding of another kind of the same name (they would shadow each other)."""
    name = _name_of(key)
    other = ('[[services]]\nbinding = "{}"\nservice = "svc"\n' if key != "services"
             else '[[kv_namespaces]]\nbinding = "{}"\nid = "' + HEX + '"\n').format(name)
    mine = EXPECTED[key].valid
    text = HEADER + (mine + other if mine.startswith("[") else mine + other)
    project, diagnostics = check(text)
    assert project is None
    assert len(diagnostics.errors) == 1, diagnostics.render()
    [rendered] = diagnostics.render_errors()
    assert re.fullmatch(rf'worker\.toml:\d+: \S+: binding name "{name}" is already used by \S+ '
                        r"\(binding names must be unique across vars, secrets and all bindings; rename one of them\)",
                        rendered), rendered
    problem = diagnostics.errors[0]
    other_key = "services" if key != "services" else "kv_namespaces"
    name_key = "name" if key in NAME_KEYED else "binding"
    paths = {problem.path, problem.message.rsplit(" ", 1)[-1]}
    mine_path = (f"{key}.{name_key}" if key in SINGLE else f"{key}[0].{name_key}")
    assert paths == {mine_path, f"{other_key}[0].binding"}


# Written by hand (not read from the table): the kinds keyed by `name`, and the single-table kinds.
NAME_KEYED = {"durable_objects.bindings", "send_email", "ratelimits", "unsafe.bindings", "logfwdr.bindings"}
SINGLE = {"ai", "browser", "images", "media", "stream", "websearch", "version_metadata"}


def test_binding_name_used_by_a_var_or_twice_in_one_kind_is_an_error(check: Check) -> None:
    """vars, secrets and bindings share one namespace; so do two entries of one kind."""
    _, d = check(HEADER + '[vars]\nCACHE = "x"\n' + EXPECTED["kv_namespaces"].valid)
    assert [(p.path, p.message) for p in d.errors] == [
        ("kv_namespaces[0].binding", 'binding name "CACHE" is already used by vars.CACHE')]
    _, d = check(HEADER + 'secrets = ["LIMITER"]\n' + EXPECTED["ratelimits"].valid)
    assert [(p.path, p.message) for p in d.errors] == [
        ("ratelimits[0].name", 'binding name "LIMITER" is already used by secrets[0]')]
    _, d = check(HEADER + '[[r2_buckets]]\nbinding = "B"\n[[r2_buckets]]\nbinding = "B"\n')
    assert [(p.path, p.line, p.message) for p in d.errors] == [
        ("r2_buckets[1].binding", 7, 'binding name "B" is already used by r2_buckets[0].binding')]


def test_workflow_name_is_not_a_binding_name(check: Check) -> None:
    """A workflow's `name` is its account-wide name, not what the code reads: it may equal a binding name."""
    project = _ok(check, HEADER + '[[services]]\nbinding = "AUTH"\nservice = "svc"\n'
                  '[[workflows]]\nbinding = "ORDERS"\nname = "AUTH"\nclass_name = "OrderFlow"\n')
    assert [b.name for b in project.bindings] == ["AUTH", "ORDERS"]


# -- [env.X] ------------------------------------------------------------------------------------
INHERITABLE = {"logfwdr.bindings"}  # api-notes §7.2: logfwdr is the one inheritable binding kind


def test_only_logfwdr_is_marked_inheritable() -> None:
    assert {k.key for k in KINDS if k.inheritable} == INHERITABLE


def _in_env(snippet: str, env: str = "staging") -> str:
    """The snippet moved into [env.<env>] (table headers prefixed; inline keys right after [env.<env>])."""
    return f"[env.{env}]\n" + re.sub(r"^\[(\[?)", rf"[\1env.{env}.", snippet, flags=re.MULTILINE)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_env_inherits_only_the_inheritable_kinds(check: Check, key: str) -> None:
    """An [env.X] without the kind: logfwdr falls back to the top level's, every other kind is absent, with a warning."""
    project, diagnostics = check(HEADER + EXPECTED[key].valid + "[env.staging]\nworkers_dev = true\n",
                                 env="staging")
    assert project is not None, diagnostics.render()
    top_key = key.split(".")[0]
    warned = [w for w in diagnostics.render_warnings()
              if f"env.staging: `{top_key}` is set at the top level but not in [env.staging]" in w]
    if key in INHERITABLE:
        assert _uploaded(project) == [EXPECTED[key].wire] and warned == []
    else:
        assert project.bindings == () and _uploaded(project) == []
        assert len(warned) == 1 and f"add {top_key} to [env.staging]" in warned[0]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_env_own_binding_replaces_the_top_levels(check: Check, key: str) -> None:
    """Every kind can be set in [env.X]; the env's own entry is used, whatever the top level has."""
    top = '[[logfwdr.bindings]]\nname = "TOP_LOGS"\ndestination = "top"\n' if key in INHERITABLE else ""
    project, diagnostics = check(HEADER + top + _in_env(EXPECTED[key].valid), env="staging")
    assert project is not None, diagnostics.render()
    assert project.name == "app-staging"
    assert _uploaded(project) == [EXPECTED[key].wire]
    assert [b.path.split(".")[:2] for b in project.bindings] == [["env", "staging"]]
