"""Every error the fake Cloudflare API can answer with, in one table.

Keys are what handlers raise (`Fail("script_not_found", script=name)`); values give the HTTP
status, Cloudflare error code and message template. Each entry names where its code, message
and status come from: api-notes (`/work/shared/cloudflare/api-notes.md`), real-api-quirks, the
workers-sdk source (`workers-sdk <path>`), Cloudflare's old Workers API reference
(`cloudflare/workers-docs src/content/tooling/api/{scripts,routes}.md`, "workers-docs" below)
or quoted real answers; `unverified` marks a plausible choice without evidence. Each
`FakeCloudflare` copies this table into `fake.errors`, so a test can swap a code
(e.g. `fake.errors["dns_identical_record"] = ErrorSpec(400, 81057, ...)`).
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
    # -- routing ------------------------------------------------------------------------------
    # 7000/7003 and both texts: api-notes §5 (workers-sdk#2100, #10588). Real 7003 answers often add
    # 7000 as a second error (not modelled). Status unverified: quoted answers show 400 and 404.
    "no_route": ErrorSpec(404, 7000, "No route for that URI"),
    # text quoted in real answers ("Method PUT not available for that URI."); 405 unverified
    "method_not_allowed": ErrorSpec(405, 7001, "Method {method} not available for that URI."),
    "bad_object_id": ErrorSpec(404, 7003, "Could not route to {path}, perhaps your object identifier is invalid?"),
    # -- auth ---------------------------------------------------------------------------------
    # 400/9106 and the text: measured answers quoted by third parties (e.g. Radar without a token)
    "missing_auth": ErrorSpec(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"),
    # 400/6003 with a 6102/6103/6111 chain: api-notes §5 (siennathesane/cloudflare-sync#4),
    # jakejarvis/cloudflare-purge-action#1 (6103), Ultimate-Multisite/ultimate-multisite#73 (6111, "Bad Request")
    "bad_auth_headers": ErrorSpec(400, 6003, "Invalid request headers"),
    # code and text widely quoted (cert-manager/cert-manager#4465). Measured answers are 403
    # (jeessy2/ddns-go#1341); 401 is kept because tests/fakes/test_fake_cloudflare.py pins it.
    "invalid_token": ErrorSpec(401, 9109, "Invalid access token"),
    # research notes §7 (workers-sdk wrangler/src/__tests__/whoami.test.ts); 401 as measured by third parties
    "invalid_token_verify": ErrorSpec(401, 1000, "Invalid API Token"),
    # code and text widely quoted; status unverified (third-party mocks use 400, others 403)
    "unknown_global_key": ErrorSpec(403, 9103, "Unknown X-Auth-Key or X-Auth-Email"),
    # api-notes §5 (DH/triggers/publish-routes.ts); text as in workers-sdk workers-auth/tests/device-flow.test.ts;
    # status: quoted answers show 401 and 403
    "forbidden": ErrorSpec(403, 10000, "Authentication error"),
    # /memberships for an account-owned token: 9106 (workers-sdk workers-auth/src/core/factory.ts),
    # 400 and this text as in wrangler/src/__tests__/user.test.ts and remote-bindings remote.test.ts
    "account_token_not_allowed": ErrorSpec(400, 9106, "Authentication failed (status: 400)"),
    # /user for a token without a user: 9109 and this text (wrangler/src/user/whoami.ts getEmail and
    # its whoami.test.ts mock); status unverified (403, as other 9109 answers)
    "user_unauthorized": ErrorSpec(403, 9109, "Unauthorized to access requested resource"),
    # -- generic request validation -----------------------------------------------------------
    # 400/10001: workers-sdk miniflare/src/workers/local-explorer/common.ts (its emulation of this API)
    "schema_violation": ErrorSpec(400, 10001, "Request does not match the API schema: {detail}"),
    "invalid_json": ErrorSpec(400, 10001, "Could not parse request body as JSON: {detail}"),
    # 429/971 and the text: widely quoted real answers (e.g. terraform-provider-cloudflare#5505 runs)
    "rate_limited": ErrorSpec(429, 971, "Please wait and consider throttling your request speed"),
    # workers-docs scripts.md/routes.md "Internal Error": 500, 10013, workers.api.error.unknown
    "server_error": ErrorSpec(500, 10013, "workers.api.error.unknown"),
    # -- workers ------------------------------------------------------------------------------
    # 404/10007: workers-docs scripts.md; this text is the one real answers quote (wrangler's old delete code)
    "script_not_found": ErrorSpec(404, 10007, "workers.api.error.script_not_found"),
    # 10007: api-notes §1.5 (DH/triggers/subdomain.ts); status and text unverified
    "subdomain_not_found": ErrorSpec(404, 10007, "This account does not have a workers.dev subdomain"),
    # 400/10021 "message varies": workers-docs scripts.md; api-notes §5
    "script_invalid": ErrorSpec(400, 10021, "Uncaught Error: {detail}"),
    # 400/10027 and the text: workers-docs scripts.md; wrangler/src/__tests__/deploy/build.test.ts mock
    "script_too_large": ErrorSpec(400, 10027, "workers.api.error.script_too_large"),
    # 10057: api-notes §5 (DH/deploy/helpers/error-codes.ts); status and text unverified
    "inherit_invalid": ErrorSpec(400, 10057, "Binding '{name}' of type inherit could not be resolved: "
                                             "no previous binding with that name"),
    # 10063: api-notes §5 (validate-worker-props.ts); text is wrangler's warning; status unverified
    "needs_subdomain": ErrorSpec(400, 10063,
                                 "You need to register a workers.dev subdomain before publishing to workers.dev"),
    # 10031 taken / 10032 available: api-notes §1.5 (DH/triggers/subdomain.ts, also 10031 on the PUT).
    # 10032's text "subdomain_unavailable" (sic): wrangler/src/__tests__/deploy/workers-dev.test.ts. Statuses
    # and the 10031 text unverified.
    "subdomain_taken": ErrorSpec(409, 10031, "Subdomain '{name}' is unavailable"),
    "subdomain_available": ErrorSpec(404, 10032, "subdomain_unavailable"),
    # 10041/10042 and both texts: quoted wrangler deploy output ("KV namespace '<id>' not found. [code: 10041]",
    # "... is not valid. Please verify the namespace_id in your configuration. [code: 10042]"); status unverified
    "kv_binding_not_found": ErrorSpec(400, 10041, "KV namespace '{id}' not found."),
    "kv_binding_invalid": ErrorSpec(400, 10042, "KV namespace '{id}' is not valid. "
                                                "Please verify the namespace_id in your configuration."),
    "version_not_found": ErrorSpec(404, 10230, "Version '{id}' not found"),  # unverified
    # real-api-quirks #7: the 10061 text users report (workers-sdk#10034, #10246; research notes 14-15 A1.5)
    "do_class_not_migrated": ErrorSpec(400, 10061, "Cannot create binding for class '{class_name}' because it is "
                                                   "not currently configured to implement Durable Objects. Ensure a "
                                                   "--new-class migration has been applied to it."),
    # 10079 and the text: workers-sdk#705 (research notes 14-15 A1.5); status unverified
    "migration_tag_mismatch": ErrorSpec(400, 10079, "Migration tag precondition failed; current tag is {tag}"),
    # 10061 texts: workers-sdk#1792/#337 (class bound but not exported) and #8210 (delete-class of a class
    # the upload still binds), research notes 14-15 A1.5; status unverified
    "do_class_not_exported": ErrorSpec(400, 10061, "Cannot create binding for class {class_name} that is not "
                                                   "exported by the script"),
    "do_class_deleted_but_bound": ErrorSpec(400, 10061, "Cannot apply --delete-class migration to class "
                                                        "'{class_name}' without also removing the binding that "
                                                        "references it."),
    # 10074 and both texts (new-class of a live class; delete-class of a class that is not live): third-party
    # project notes only (research notes 14-15 A1.5: UNVERIFIED as an official meaning); status unverified.
    # `kind` is new-class or new-sqlite-class. Rename and transfer failures reuse 10074 with texts of the
    # fake's own (unverified): 10074 is the one code seen for "this migration cannot be applied".
    "migration_class_exists": ErrorSpec(400, 10074, "Cannot apply {kind} migration to class '{class_name}' that is "
                                                    "already depended on by existing Durable Objects"),
    "migration_class_missing": ErrorSpec(400, 10074, "Cannot apply delete-class migration to class '{class_name}' "
                                                     "which was not exported in the previous version of the script"),
    "migration_invalid": ErrorSpec(400, 10074, "Cannot apply {kind} migration: {detail}"),
    # 10123 ErrActorBindingDependsOnMigration: named in workers-sdk deploy-helpers error-codes.ts (a version
    # upload binds a class that only its own, not yet deployed, migration creates); text and status unverified
    "do_binding_depends_on_migration": ErrorSpec(400, 10123, "Binding '{name}' depends on a migration for class "
                                                             "'{class_name}' that is not applied yet; deploy the "
                                                             "migration before binding the class"),
    # 10085 and the text: a real API answer quoted in workers-sdk vite-plugin-cloudflare/e2e/remote-bindings.test.ts
    # (also "workers.api.error.bucket_not_found [code: 10085]" in third-party deploy logs); status unverified
    "r2_binding_not_found": ErrorSpec(400, 10085, "R2 bucket '{bucket}' not found. Verify the bucket exists in your "
                                                  "account and that the bucket_name in your configuration is correct."),
    # 10021 and the text: workers-sdk deploy-helpers deploy.ts (matches "binding DB of type d1 must have a valid
    # `id` specified [code: 10021]"; third parties quote it for placeholder ids); status unverified
    "d1_binding_invalid": ErrorSpec(400, 10021, "binding {name} of type d1 must have a valid `id` specified"),
    # 11000 = queue not found: alchemy-run/distilled-cloudflare spec/queues.json (third party); as an upload
    # error (producer binding to a missing queue) code, text and status are unverified
    "queue_binding_not_found": ErrorSpec(400, 11000, "Queue '{queue}' does not exist"),
    # real-api-quirks #5 limits; no code documented: 10021 (validation) is a guess, unverified
    "tags_invalid": ErrorSpec(400, 10021, "Invalid tags: {detail}"),
    "deployment_invalid": ErrorSpec(400, 10021, "Invalid deployment: {detail}"),  # unverified code
    "secret_not_found": ErrorSpec(404, 10056, "Secret '{name}' not found"),  # unverified
    # 10215: api-notes §4.1 (wrangler/src/secret/index.ts VERSION_NOT_DEPLOYED_ERR_CODE); the text is the
    # mock of wrangler/src/__tests__/secret.test.ts; status unverified
    "secret_version_not_deployed": ErrorSpec(400, 10215, "latest is not deployed"),
    "cron_invalid": ErrorSpec(400, 10100, "Invalid cron expression '{cron}'"),  # unverified
    # -- static assets (state_assets; research-16 A6: wrangler handles no asset-specific code, and the
    # real codes for bad manifests, bad or expired jwts and count limits are unknown) -------------
    # Every code, status and text in this group is UNVERIFIED unless its comment says otherwise.
    # Session manifest: 10001 is the fake's bad-request code (miniflare local-explorer, above).
    "assets_manifest_invalid": ErrorSpec(400, 10001, "Invalid assets manifest: {detail}"),
    # the 25 MiB per-file limit (workers-shared constants.ts MAX_ASSET_SIZE, research A3); text after
    # wrangler's "Asset too large" error
    "asset_too_large": ErrorSpec(400, 10001, "Asset too large: {path} has {size} bytes; Cloudflare Workers supports "
                                             "assets with sizes of up to 25 MiB ({limit} bytes)"),
    # 20,000 (Free) / 100,000 (Paid) files per version (Workers limits page, research A3); text after
    # miniflare's "Maximum number of assets exceeded"
    "assets_too_many": ErrorSpec(400, 10001, "Maximum number of assets exceeded: {count} files; this account "
                                             "supports up to {limit} assets in a version"),
    # The upload endpoint's credentials. 401 for a bearer that is not a live session jwt (the API
    # token included): the brief's choice; 10000 is Cloudflare's generic authentication code (above).
    "assets_upload_unauthorized": ErrorSpec(401, 10000, "Authentication error: {detail}"),
    # "Expired JWT" is the text of the Pages asset service (workers-sdk#3773, a 403 with a plain-text
    # body there); for Workers assets an envelope with 401/10000 is the fake's choice
    "assets_session_expired": ErrorSpec(401, 10000, "Expired JWT"),
    "assets_upload_invalid": ErrorSpec(400, 10001, "Invalid assets upload: {detail}"),
    "asset_not_requested": ErrorSpec(400, 10001, "Invalid assets upload: file {hash} was not requested by this "
                                                 "upload session"),
    "asset_hash_mismatch": ErrorSpec(400, 10001, "Invalid assets upload: file {hash} does not hash to {hash} "
                                                 "(blake3 of its base64 text and extension)"),
    "asset_size_mismatch": ErrorSpec(400, 10001, "Invalid assets upload: file {hash} has {size} bytes, the manifest "
                                                 "says {expected}"),
    # metadata.assets on a script/version upload: 10021, the upload validation code (workers-docs scripts.md)
    "assets_jwt_invalid": ErrorSpec(400, 10021, "Invalid assets completion token: {detail}"),
    "assets_jwt_expired": ErrorSpec(400, 10021, "The assets completion token has expired"),
    "assets_jwt_used": ErrorSpec(400, 10021, "The assets completion token has already been used"),
    # the text is a real answer quoted in alchemy-run/alchemy PR #914 ("BadRequest: Cannot use an assets
    # binding without assets"); code unverified
    "assets_binding_without_assets": ErrorSpec(400, 10021, "Cannot use an assets binding without assets"),
    "assets_keep_without_assets": ErrorSpec(400, 10021, "keep_assets is set but the Worker has no assets to keep"),
    "assets_only_invalid": ErrorSpec(400, 10021, "An assets-only upload (no main_module) {detail}"),
    # -- zone routes: codes, statuses and texts from workers-docs routes.md ---------------------
    "duplicate_route": ErrorSpec(409, 10020, "workers.api.error.duplicate_route"),
    "route_not_found": ErrorSpec(404, 10005, "workers.api.error.not_found"),
    "route_zone_mismatch": ErrorSpec(400, 10022, "Route pattern must include zone name: {pattern}"),
    "route_script_missing": ErrorSpec(400, 10019, "workers.api.error.invalid_route_script_missing"),
    # no zone of the account for a route on the wrangler-only PUT .../scripts/{s}/routes: unverified
    # (the 10022 "invalid route pattern" family of routes.md)
    "route_zone_unknown": ErrorSpec(400, 10022, "Could not find a zone for route pattern {pattern}"),
    # -- custom domains -----------------------------------------------------------------------
    # 409/100117: research notes 12-13 §4.3 (workers-sdk#9878 text of 2025; 409 per vm0-ai/vm0 PR #33406)
    "domain_dns_conflict": ErrorSpec(409, 100117,
                                     "Hostname '{hostname}' already has externally managed DNS records (A, CNAME, etc). "
                                     "Either delete them, try a different hostname, or use the option "
                                     "'override_existing_dns_record' to override."),
    # 409/100116 and the text: real-api-quirks #6 (alchemy-run/alchemy-async PR #1384, research notes §4.3)
    "domain_other_worker": ErrorSpec(409, 100116, "Hostname '{hostname}' already in use by other custom domain. "
                                                  "Either delete it, try a different hostname, or use the option "
                                                  "'override_existing_origin' to override."),
    "domain_not_in_zone": ErrorSpec(400, 100114, "Hostname '{hostname}' is not part of zone '{zone}'"),  # unverified
    # 10092 workers.api.error.environment_not_found: wrangler/src/__tests__/deploy/helpers.ts mock (research
    # notes 14-15 A1.2; 10090 is service_not_found there); status unverified
    "environment_not_found": ErrorSpec(404, 10092, "workers.api.error.environment_not_found"),
    "domain_not_found": ErrorSpec(404, 100119, "Domain '{id}' not found"),  # unverified
    # -- KV -----------------------------------------------------------------------------------
    # 400/10014 and the text: api-notes §3.1; wrangler/src/__tests__/kv/namespace.test.ts mock
    "kv_duplicate_title": ErrorSpec(400, 10014, "{op} namespace: 'A namespace with this account ID and title "
                                                "already exists'"),
    # 404/10013 "<op>: 'namespace not found'", 404/10009 "get: 'key not found'", 400/10001: workers-sdk
    # miniflare/src/workers/local-explorer/resources/kv.ts (wrangler's kv test mocks 10009 for an unknown
    # namespace id on rename; the emulation's 10013 is kept)
    "kv_namespace_not_found": ErrorSpec(404, 10013, "{op}: 'namespace not found'"),
    "kv_key_not_found": ErrorSpec(404, 10009, "get: 'key not found'"),
    "kv_bad_request": ErrorSpec(400, 10001, "{detail}"),
    # -- queues (research notes 14-15 A2) ------------------------------------------------------
    # 404/11000 queue not found, 409/11009 already exists, 11003 invalid name: alchemy-run/distilled-cloudflare
    # spec/queues.json (a third-party error map); texts and the 11003 status unverified
    "queue_not_found": ErrorSpec(404, 11000, "Queue '{id}' not found"),
    "queue_exists": ErrorSpec(409, 11009, "A queue with name '{name}' already exists"),
    "queue_name_invalid": ErrorSpec(400, 11003, "Invalid queue name '{name}': 1-63 lowercase letters, digits and "
                                                "dashes, starting and ending with a letter or digit"),
    # 100127 / 100128: workers-sdk wrangler/src/queues/constants.ts INVALID_CONSUMER_SETTINGS_ERROR /
    # INVALID_QUEUE_SETTINGS_ERROR; texts as wrangler words them (queues/utils.ts) plus the detail; status unverified
    "queue_consumer_settings_invalid": ErrorSpec(400, 100127, "The specified consumer settings are invalid: {detail}"),
    "queue_settings_invalid": ErrorSpec(400, 100128, "The specified queue settings are invalid: {detail}"),
    # 11004 workers.api.error.consumer_exists: workers-sdk#5347 (a real deploy); status unverified
    "queue_consumer_exists": ErrorSpec(409, 11004, "workers.api.error.consumer_exists"),
    # 11001 "queue handler is missing": alchemy-run/distilled PR #273 error map (third party, research notes A2);
    # status unverified
    "queue_handler_missing": ErrorSpec(400, 11001, "queue handler is missing"),
    # a dead_letter_queue naming no queue, and an unknown consumer id: 11000 (queue not found) reused;
    # texts and statuses unverified
    "queue_dlq_not_found": ErrorSpec(400, 11000, "Dead letter queue '{name}' not found"),
    "queue_consumer_not_found": ErrorSpec(404, 11000, "Consumer '{id}' not found"),
    # -- workflows (research notes 14-15 A3) ----------------------------------------------------
    # 404/10200: workers-sdk deploy-helpers check-workflow-conflicts.ts WORKFLOW_NOT_FOUND_CODE and the 404 mock
    # with "Workflow not found" in wrangler/src/__tests__/deploy/workflows.test.ts
    "workflow_not_found": ErrorSpec(404, 10200, "Workflow not found"),
    # 403/10208 and the text: wrangler/src/__tests__/deploy/workflows.test.ts mock (WORKFLOW_CRON_REQUIRES_PAID_PLAN_CODE)
    "workflow_cron_paid_plan": ErrorSpec(403, 10208, "Cron-triggered workflows require a paid plan"),
    # a bad body (name, limits, schedules) or a class the script does not export: no code found; 10021 (the
    # Workers validation code, workers-docs scripts.md) is a guess, unverified
    "workflow_invalid": ErrorSpec(400, 10021, "{detail}"),
    # -- R2 (research notes 14-15 A4) -------------------------------------------------------------
    # 404/10006 "The specified bucket does not exist.": provision-bindings.ts branches on 10006; text third-party
    "r2_bucket_not_found": ErrorSpec(404, 10006, "The specified bucket does not exist."),
    # 409/10004 and the text: third-party code (research notes A4; workers-sdk r2 helpers say "A 400 is returned";
    # alchemy-run/distilled-cloudflare maps 10073 as a bucket conflict): status and code unverified
    "r2_bucket_exists": ErrorSpec(409, 10004, "The bucket you tried to create already exists, and you own it."),
    # 10005 InvalidBucketName: alchemy-run/distilled-cloudflare spec/r2.json (third party); text and status unverified
    "r2_bucket_name_invalid": ErrorSpec(400, 10005, "The specified bucket name is not valid."),
    # 400/10040 and the text: the storage-class mock of wrangler/src/__tests__/helpers/msw/handlers/r2.ts; the
    # same answer for a bad locationHint or jurisdiction is unverified
    "r2_bad_request": ErrorSpec(400, 10040, "The JSON you provided was not well formed."),
    # -- D1 (research notes 14-15 A4) -------------------------------------------------------------
    # 404/7404 and the text: workers-sdk miniflare local-explorer resources/d1.ts (its emulation of this API)
    "d1_not_found": ErrorSpec(404, 7404, "The database {id} could not be found"),
    # 7502 and the text: wrangler/src/d1/create.ts ("A database with that name already exists"); status unverified
    "d1_exists": ErrorSpec(400, 7502, "A database with that name already exists"),
    # bad name, location hint, jurisdiction or paging: no code found; 7400 is a guess, unverified
    "d1_bad_request": ErrorSpec(400, 7400, "{detail}"),
    # -- zones / DNS --------------------------------------------------------------------------
    # 400/1061 "<name> already exists.": quoted in a third-party client's test; unverified otherwise
    "zone_exists": ErrorSpec(400, 1061, "{name} already exists."),
    # 81053/81054/81058 (81057 before): api-notes §5 with the texts quoted there; 400 unverified
    "dns_identical_record": ErrorSpec(400, 81058, "An identical record already exists."),
    "dns_cname_conflict": ErrorSpec(400, 81053, "An A, AAAA, or CNAME record with that host already exists."),
    "dns_has_cname": ErrorSpec(400, 81054, "A CNAME record with that host already exists."),
    # 404/81044 "Record does not exist.": quoted real answers in several third-party clients
    "dns_record_not_found": ErrorSpec(404, 81044, "Record does not exist."),
    # 400/1004 with an error_chain: research notes 12-13 §1.2 (terraform-provider-cloudflare#3217)
    "dns_validation": ErrorSpec(400, 1004, "DNS Validation Error"),
    # batch limit: real-api-quirks #10; the code for exceeding it is unverified (research notes §1.3)
    "dns_batch_too_large": ErrorSpec(400, 1004,
                                     "DNS Validation Error: batch of {count} records exceeds the limit of {limit}"),
    # -- cache purge (limits: api-notes §6.3) ---------------------------------------------------
    # 1012 and the text: cloudflare/python-cloudflare#179; 400 unverified
    "purge_one_kind": ErrorSpec(400, 1012, 'Request must contain one of "purge_everything", "files", '
                                           '"tags", "hosts" or "prefixes"'),
    # 1014 and the text: cloudflare/cloudflare-php#61; 400 unverified
    "purge_not_array": ErrorSpec(400, 1014, '"files", "tags", or "hosts" must be an array'),
    # the API names the 100 limit (cloudflare-docs#21338) but its code and text are unverified
    "purge_too_many": ErrorSpec(400, 1018, "Too many {kind} in one request: {count} (limit {limit})"),
    # 429 (research notes 12-13 §2); code and text unverified
    "purge_rate_limited": ErrorSpec(429, 1134, "Rate limit enforced for cache purge"),
}
