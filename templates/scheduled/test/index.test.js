// Run with `node --test` (Node.js 18 or newer): calls scheduled() with a stub for fetch.
import assert from "node:assert/strict";
import { test } from "node:test";

import worker, { check } from "../src/index.js";

test("check() reports the status of the URL", async (t) => {
  t.mock.method(globalThis, "fetch", async () => new Response(null, { status: 204 }));
  t.mock.method(console, "log", () => {});
  const result = await check("https://example.com/", Date.UTC(2025, 0, 1));
  assert.equal(result.status, 204);
  assert.equal(result.at, "2025-01-01T00:00:00.000Z");
});

test("scheduled() hands the check to waitUntil", async (t) => {
  t.mock.method(globalThis, "fetch", async () => { throw new Error("offline"); });
  t.mock.method(console, "log", () => {});
  const pending = [];
  await worker.scheduled({ scheduledTime: 0, cron: "0 * * * *" }, { CHECK_URL: "https://example.com/" },
    { waitUntil: (promise) => pending.push(promise) });
  const [result] = await Promise.all(pending);
  assert.equal(result.status, "failed: offline");
});
