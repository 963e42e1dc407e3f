// The Worker's entry module: Cloudflare calls fetch() for every request.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/api/hello") {
      const name = url.searchParams.get("name") || "world";
      return json({ message: `${env.GREETING}, ${name}!` });
    }
    if (url.pathname === "/") {
      return new Response(`${env.GREETING} from {{name}}! Try /api/hello?name=you\n`, {
        headers: { "content-type": "text/plain;charset=UTF-8" },
      });
    }
    return new Response("Not found\n", { status: 404 });
  },
};

function json(value, init = {}) {
  return new Response(JSON.stringify(value), {
    ...init,
    headers: { "content-type": "application/json;charset=UTF-8", ...init.headers },
  });
}
