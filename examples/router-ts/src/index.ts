import { AutoRouter, error, type IRequest } from "itty-router";

/** Bindings from worker.toml: [vars] arrive as strings on `env`. */
export interface Env {
  GREETING: string;
  API_VERSION: string;
}

// The extra handler arguments are (env, ctx), as the runtime passes them to fetch().
const router = AutoRouter<IRequest, [Env, unknown]>();

router
  .get("/", () => new Response("router-ts: try /api/hello/<name> or /api/health\n"))
  .get("/api/hello/:name", ({ params }, env) => ({
    message: `${env.GREETING}, ${decodeURIComponent(params.name)}!`,
    version: env.API_VERSION,
  }))
  .get("/api/health", () => ({ ok: true }))
  .all("/api/*", () => error(404, "no such API route"));

export default { fetch: router.fetch };
