// Types for this Worker's bindings and the few Workers runtime APIs it uses. They are written
// by hand so the project needs no npm install. For the complete runtime types, run
//   npm install --save-dev @cloudflare/workers-types
// add "types": ["@cloudflare/workers-types"] to tsconfig.json and delete the declarations below Env.

// One property per [vars] entry and binding in worker.toml.
interface Env {
  API_VERSION: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

interface ExportedHandler<E = unknown> {
  fetch?(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>;
  scheduled?(controller: ScheduledController, env: E, ctx: ExecutionContext): void | Promise<void>;
}
