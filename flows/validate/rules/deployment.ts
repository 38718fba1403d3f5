import type { FlowCheck } from "../context.ts";
import { quote } from "../words.ts";

/** The path a GitHub trigger listens on when it names none. */
export const DEFAULT_GITHUB_PATH = "/api/github/webhooks";

/**
 * A route key on which two triggers would collide: the method and the path with parameters erased
 * (`/a/:x` and `/a/:y` match the same requests). The Workers host normalises routes the same way.
 * @example routeKey("GET", "/users/:id") // "GET /users/:"
 */
export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/:[^/]+/g, ":")}`;
}

interface Route {
  check: FlowCheck;
  pointer: string;
  method: string;
  path: string;
  github: boolean;
}

/**
 * Rules across all the flows validated together (one deployment): unique flow ids, and no two triggers
 * on the same method and path. GitHub triggers on one path share it (deliveries are dispatched by event),
 * but no HTTP route may take it.
 */
export function checkDeployment(checks: readonly FlowCheck[]): void {
  const ids = new Map<string, FlowCheck>();
  for (const check of checks) {
    const first = ids.get(check.doc.id);
    if (!first) ids.set(check.doc.id, check);
    else {
      check.report(
        "FLOW_DUPLICATE_FLOW_ID",
        "/id",
        `flow id ${quote(check.doc.id)} is also used by ${first.file}: flow ids must be unique across a deployment`,
        { hint: "rename one of the flows" },
      );
    }
  }
  const routes = new Map<string, Route>();
  for (const check of checks) {
    check.doc.triggers.forEach((trigger, i) => {
      let route: Route;
      if (trigger.type === "http") {
        route = {
          check,
          pointer: `/triggers/${i}/path`,
          method: trigger.method,
          path: trigger.path,
          github: false,
        };
      } else if (trigger.type === "github") {
        const path = trigger.path ?? DEFAULT_GITHUB_PATH;
        const pointer = trigger.path ? `/triggers/${i}/path` : `/triggers/${i}`;
        route = { check, pointer, method: "POST", path, github: true };
      } else return;
      const key = routeKey(route.method, route.path);
      const other = routes.get(key);
      if (!other) {
        routes.set(key, route);
        return;
      }
      if (other.github && route.github) return;
      const line = other.check.lineOf(other.pointer);
      const place =
        other.check === check
          ? `this flow, line ${line}`
          : `flow ${quote(other.check.doc.id)} (${other.check.file}, line ${line})`;
      const webhook = other.github ? " (a GitHub webhook)" : "";
      check.report(
        "FLOW_ROUTE_CONFLICT",
        route.pointer,
        `route ${route.method} ${route.path} conflicts with ${other.method} ${other.path}${webhook} declared in ${place}`,
        {
          hint: "two triggers cannot serve the same method and path (parameter names do not matter); change one path",
        },
      );
    });
  }
}
