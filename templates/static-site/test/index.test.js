// Run with `node --test` (Node.js 18 or newer): calls the Worker's fetch() directly.
import assert from "node:assert/strict";
import { test } from "node:test";

import worker from "../src/index.js";

const env = { GREETING: "Hello", ASSETS: { fetch: async () => new Response("a file", { status: 200 }) } };

test("GET /api/hello greets by name", async () => {
  const response = await worker.fetch(new Request("https://example.com/api/hello?name=Ada"), env);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: "Hello, Ada!" });
});

test("unknown API routes are 404", async () => {
  const response = await worker.fetch(new Request("https://example.com/api/nope"), env);
  assert.equal(response.status, 404);
});

test("other paths are handed to the assets binding", async () => {
  const response = await worker.fetch(new Request("https://example.com/about"), env);
  assert.equal(await response.text(), "a file");
});
