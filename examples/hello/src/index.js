/**
 * A module Worker: `fetch` runs for every request to the Worker.
 * GET /api/hello answers JSON; every other path gets a plain-text greeting.
 */
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/api/hello") {
      return Response.json({ message: "Hello, World!" });
    }
    return new Response("Hello World!", {
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
  },
};
