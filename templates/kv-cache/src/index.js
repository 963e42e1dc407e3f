// Serves UPSTREAM_URL through a Workers KV cache; the cron trigger refreshes the cached copy.
const KEY = "upstream";

export default {
  async fetch(request, env, ctx) {
    if (request.method !== "GET") {
      return new Response("Method not allowed\n", { status: 405 });
    }
    const cached = await env.CACHE.get(KEY);
    if (cached !== null) {
      return page(cached, "HIT");
    }
    const body = await fetchUpstream(env);
    ctx.waitUntil(store(env, body));
    return page(body, "MISS");
  },

  // Runs on the [triggers] crons schedule in worker.toml.
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(fetchUpstream(env).then((body) => store(env, body)));
  },
};

async function fetchUpstream(env) {
  const response = await fetch(env.UPSTREAM_URL);
  if (!response.ok) {
    throw new Error(`${env.UPSTREAM_URL} answered ${response.status}`);
  }
  return response.text();
}

function store(env, body) {
  // KV's minimum expirationTtl is 60 seconds; [vars] values are always strings.
  const ttl = Math.max(60, Number(env.CACHE_TTL) || 1800);
  return env.CACHE.put(KEY, body, { expirationTtl: ttl });
}

function page(body, status) {
  return new Response(body, { headers: { "content-type": "text/html;charset=UTF-8", "x-cache": status } });
}
