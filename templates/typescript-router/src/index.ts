// The Worker's entry module: every request goes through the router.
import { json, Router } from "./router";

const router = new Router<Env>()
  .get("/", () => new Response("{{name}}: try GET /api/hello/you or POST /api/echo\n"))
  .get("/api/hello/:name", (_request, env, params) =>
    json({ message: `Hello, ${params.name}!`, version: env.API_VERSION }),
  )
  .post("/api/echo", async (request) => json({ received: await request.json() }));

export default {
  fetch(request, env) {
    return router.handle(request, env);
  },
} satisfies ExportedHandler<Env>;
