// Run with `node --test` (Node.js 18 or newer): a Map stands in for KV, a stub for the upstream.
import assert from "node:assert/strict";
import { test } from "node:test";

import worker from "../src/index.js";

function fakeKV() {
  const data = new Map();
  return {
    data,
    async get(key) { return data.has(key) ? data.get(key) : null; },
    async put(key, value) { data.set(key, value); },
  };
}

function fakeCtx() {
  const pending = [];
  return { pending, waitUntil(promise) { pending.push(promise); } };
}

test("first request is a MISS that fills the cache, the second a HIT", async (t) => {
  let calls = 0;
  t.mock.method(globalThis, "fetch", async () => { calls += 1; return new Response("<h1>upstream</h1>"); });
  const env = { CACHE: fakeKV(), UPSTREAM_URL: "https://upstream.test/", CACHE_TTL: "60" };

  const ctx = fakeCtx();
  const first = await worker.fetch(new Request("https://worker.test/"), env, ctx);
  await Promise.all(ctx.pending);
  assert.equal(first.headers.get("x-cache"), "MISS");
  assert.equal(await first.text(), "<h1>upstream</h1>");

  const second = await worker.fetch(new Request("https://worker.test/"), env, fakeCtx());
  assert.equal(second.headers.get("x-cache"), "HIT");
  assert.equal(calls, 1);
});

test("the cron refreshes the cached copy", async (t) => {
  t.mock.method(globalThis, "fetch", async () => new Response("fresh"));
  const env = { CACHE: fakeKV(), UPSTREAM_URL: "https://upstream.test/", CACHE_TTL: "60" };
  const ctx = fakeCtx();
  await worker.scheduled({ scheduledTime: Date.now(), cron: "*/30 * * * *" }, env, ctx);
  await Promise.all(ctx.pending);
  assert.equal(env.CACHE.data.get("upstream"), "fresh");
});
