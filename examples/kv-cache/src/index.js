// A `.txt` import: the default module rules keep it out of the bundle and upload it as a
// text module, so `banner` is a string at run time.
import banner from "./banner.txt";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response(banner, { headers: { "content-type": "text/plain;charset=UTF-8" } });
    }
    if (request.method !== "GET") {
      return fetch(request);
    }
    const key = `page:${url.pathname}${url.search}`;
    const cached = await env.CACHE.get(key, { type: "text" });
    if (cached !== null) {
      return new Response(cached, { headers: { "content-type": "text/html;charset=UTF-8", "x-cache": "HIT" } });
    }
    // A subrequest to the Worker's own zone goes to the origin, not back into the Worker.
    const origin = await fetch(request);
    if (!origin.ok) {
      return origin;
    }
    const body = await origin.text();
    // [vars] values are strings; CACHE_TTL is how long a cached page lives, in seconds.
    ctx.waitUntil(env.CACHE.put(key, body, { expirationTtl: Number(env.CACHE_TTL) || 300 }));
    const headers = new Headers(origin.headers);
    headers.set("x-cache", "MISS");
    return new Response(body, { status: origin.status, headers });
  },

  // Runs on the [triggers] crons schedule.
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(env.CACHE.put("last-cron", new Date(controller.scheduledTime).toISOString()));
  },
};
