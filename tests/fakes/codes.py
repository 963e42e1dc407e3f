"""Every error the fake Cloudflare API can answer with, in one table.

Keys are what handlers raise (`Fail("script_not_found", script=name)`); values give the HTTP
status, Cloudflare error code and message template. Codes marked "notes" come from
/work/shared/cloudflare/api-notes.md §5 or real traffic quoted there; "unverified" ones are
plausible choices. Each `FakeCloudflare` copies this table into `fake.errors`, so a test can
swap a code (e.g. `fake.errors["dns_identical_record"] = ErrorSpec(400, 81057, ...)`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    """HTTP status, Cloudflare error code and `str.format` message template."""

    status: int
    code: int
    message: str


DEFAULT_ERRORS: dict[str, ErrorSpec] = {
    # -- routing (notes §5: 7000/7003) --------------------------------------------------------
    "no_route": ErrorSpec(404, 7000, "No route for that URI"),
    "method_not_allowed": ErrorSpec(405, 7001, "Method {method} not available for that URI."),
    "bad_object_id": ErrorSpec(404, 7003, "Could not route to {path}, perhaps your object identifier is invalid?"),
    # -- auth (notes §5; 9103/9106/9109/6003 chains as seen in real responses) ----------------
    "missing_auth": ErrorSpec(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"),
    "bad_auth_headers": ErrorSpec(400, 6003, "Invalid request headers"),
    "invalid_token": ErrorSpec(401, 9109, "Invalid access token"),
    "invalid_token_verify": ErrorSpec(401, 1000, "Invalid API Token"),
    "unknown_global_key": ErrorSpec(403, 9103, "Unknown X-Auth-Key or X-Auth-Email"),
    "forbidden": ErrorSpec(403, 10000, "Authentication error"),
    "account_token_not_allowed": ErrorSpec(403, 9106,
                                           "Authentication failed: {what} does not support account owned tokens"),
    # -- generic request validation -----------------------------------------------------------
    "schema_violation": ErrorSpec(400, 10001, "Request does not match the API schema: {detail}"),
    "invalid_json": ErrorSpec(400, 10001, "Could not parse request body as JSON: {detail}"),
    "rate_limited": ErrorSpec(429, 971, "Please wait and consider throttling your request speed"),
    "server_error": ErrorSpec(500, 10013, "An unknown error has occurred"),
    # -- workers (notes §1.3, §1.5, §5) --------------------------------------------------------
    "script_not_found": ErrorSpec(404, 10007, "workers.api.error.script_not_found"),
    "subdomain_not_found": ErrorSpec(404, 10007, "This account does not have a workers.dev subdomain"),
    "script_invalid": ErrorSpec(400, 10021, "Uncaught Error: {detail}"),
    "script_too_large": ErrorSpec(400, 10027,
                                  "Your Worker exceeded the size limit of {limit} bytes (upload was {size} bytes)"),
    "inherit_invalid": ErrorSpec(400, 10057, "Binding '{name}' of type inherit could not be resolved: "
                                             "no previous binding with that name"),
    "needs_subdomain": ErrorSpec(400, 10063,
                                 "You need to register a workers.dev subdomain before publishing to workers.dev"),
    "subdomain_taken": ErrorSpec(409, 10031, "Subdomain '{name}' is unavailable"),
    "subdomain_available": ErrorSpec(404, 10032, "Subdomain '{name}' is available"),
    "kv_binding_not_found": ErrorSpec(400, 10041, "KV namespace '{id}' not found."),
    "kv_binding_invalid": ErrorSpec(400, 10042, "KV namespace '{id}' is not valid. "
                                                "Please verify the namespace_id in your configuration."),
    "version_not_found": ErrorSpec(404, 10230, "Version '{id}' not found"),  # unverified
    # real-api-quirks #7 (workers-sdk#10034, #10246): the 10061 text users report
    "do_class_not_migrated": ErrorSpec(400, 10061, "Cannot create binding for class '{class_name}' because it is "
                                                   "not currently configured to implement Durable Objects. Did you "
                                                   "forget to apply a --new-class migration? (binding '{name}')"),
    # real-api-quirks #5: 8 tags per script, no ',' or '&'; the code is unverified
    "tags_invalid": ErrorSpec(400, 10021, "Invalid tags: {detail}"),
    "deployment_invalid": ErrorSpec(400, 10021, "Invalid deployment: {detail}"),
    "secret_not_found": ErrorSpec(404, 10056, "Secret '{name}' not found"),  # unverified
    "cron_invalid": ErrorSpec(400, 10100, "Invalid cron expression '{cron}'"),  # unverified
    # -- routes (notes §8.2: 10020 duplicate_route) ------------------------------------------
    "duplicate_route": ErrorSpec(409, 10020, "workers.api.error.duplicate_route"),
    "route_not_found": ErrorSpec(404, 10005, "workers.api.error.route_not_found"),  # unverified
    "route_zone_mismatch": ErrorSpec(400, 10022,  # unverified
                                     "workers.api.error.invalid_route_pattern: '{pattern}' is not in zone {zone}"),
    "route_zone_unknown": ErrorSpec(400, 10019, "Could not find a zone for route '{pattern}'"),  # unverified
    # -- custom domains (notes §1.4d: 100117) --------------------------------------------------
    "domain_dns_conflict": ErrorSpec(409, 100117,
                                     "Hostname '{hostname}' already has externally managed DNS records (A, CNAME, etc). "
                                     "Either delete them, try a different hostname, or use the option "
                                     "override_existing_dns_record to override."),
    "domain_other_worker": ErrorSpec(409, 100116, "Hostname '{hostname}' already has a Worker assigned to it "
                                                  "({service}). Use the option 'override_existing_origin' to "
                                                  "override it."),  # real-api-quirks #6 (alchemy PR #1384)
    "domain_not_in_zone": ErrorSpec(400, 100114, "Hostname '{hostname}' is not part of zone '{zone}'"),  # unverified
    "environment_not_found": ErrorSpec(404, 10090, "workers.api.error.environment_not_found"),  # api-notes §5
    "domain_not_found": ErrorSpec(404, 100119, "Domain '{id}' not found"),  # unverified
    # -- KV (notes §3.1: 10014; 10009 key not found; 10013 namespace not found) -----------------
    "kv_duplicate_title": ErrorSpec(400, 10014, "a namespace with this account ID and title already exists"),
    "kv_namespace_not_found": ErrorSpec(404, 10013, "namespace not found"),
    "kv_key_not_found": ErrorSpec(404, 10009, "get: 'key not found'"),
    "kv_bad_request": ErrorSpec(400, 10001, "{detail}"),
    # -- zones / DNS (notes §5: 81053/81054/81057→81058; 81044 record missing; 1004 chains) -----
    "zone_exists": ErrorSpec(400, 1061, "{name} already exists"),
    "dns_identical_record": ErrorSpec(400, 81058, "An identical record already exists."),
    "dns_cname_conflict": ErrorSpec(400, 81053, "An A, AAAA, or CNAME record with that host already exists."),
    "dns_has_cname": ErrorSpec(400, 81054, "A CNAME record with that host already exists."),
    "dns_record_not_found": ErrorSpec(404, 81044, "Record does not exist."),
    "dns_validation": ErrorSpec(400, 1004, "DNS Validation Error"),
    "dns_batch_too_large": ErrorSpec(400, 1004,
                                     "DNS Validation Error: batch of {count} records exceeds the limit of {limit}"),
    # -- cache purge (notes §6.3 limits; codes unverified) --------------------------------------
    "purge_one_kind": ErrorSpec(400, 1012, 'Request must contain exactly one of "purge_everything", "files", '
                                           '"tags", "hosts" or "prefixes"'),
    "purge_too_many": ErrorSpec(400, 1018, "Too many {kind} in one request: {count} (limit {limit})"),
    "purge_rate_limited": ErrorSpec(429, 1134, "Rate limit enforced for cache purge"),
}
