// A tiny router: exact segments and `:name` parameters, 404 and 405 answers. No dependencies.
export type Params = Record<string, string>;
export type Handler<E> = (request: Request, env: E, params: Params) => Response | Promise<Response>;

interface Route<E> {
  method: string;
  segments: string[];
  handler: Handler<E>;
}

export class Router<E> {
  private readonly routes: Route<E>[] = [];

  get(path: string, handler: Handler<E>): this {
    return this.on("GET", path, handler);
  }

  post(path: string, handler: Handler<E>): this {
    return this.on("POST", path, handler);
  }

  on(method: string, path: string, handler: Handler<E>): this {
    this.routes.push({ method, segments: split(path), handler });
    return this;
  }

  async handle(request: Request, env: E): Promise<Response> {
    const segments = split(new URL(request.url).pathname);
    let otherMethod = false;
    for (const route of this.routes) {
      const params = match(route.segments, segments);
      if (params === null) continue;
      if (route.method === request.method || (route.method === "GET" && request.method === "HEAD")) {
        return route.handler(request, env, params);
      }
      otherMethod = true;
    }
    return otherMethod ? json({ error: "method not allowed" }, 405) : json({ error: "not found" }, 404);
  }
}

export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json;charset=UTF-8" },
  });
}

function split(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

function match(pattern: string[], segments: string[]): Params | null {
  if (pattern.length !== segments.length) return null;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    if (part.startsWith(":")) {
      params[part.slice(1)] = decodeURIComponent(segments[i]);
    } else if (part !== segments[i]) {
      return null;
    }
  }
  return params;
}
