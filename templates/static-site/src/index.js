// Requests under /api/ come here first (run_worker_first in worker.toml); every other path is
// a file from public/ when one matches, else public/404.html.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/api/hello") {
      const name = url.searchParams.get("name") || "world";
      return Response.json({ message: `${env.GREETING}, ${name}!` });
    }
    if (url.pathname.startsWith("/api/")) {
      return Response.json({ error: "no such API route" }, { status: 404 });
    }
    return env.ASSETS.fetch(request); // anything else: the static files
  },
};
