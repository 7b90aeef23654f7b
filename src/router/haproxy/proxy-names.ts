// HAProxy proxy names for a service's routes, and which routes an instance
// of each role joins. Service and backend names are DNS labels, which never
// contain ".", so "<service>.<route>" cannot collide across services.
import { isIPv4 } from "node:net";
import { SlipwayError } from "../../domain/errors.js";
import type { BackendRole } from "../types.js";

/** weighted: the service endpoint, split by weight; tester: the X-Slipway-Canary header route; preview: the preview endpoint. */
export type RouteKind = "weighted" | "tester" | "preview";

export const routeKinds: readonly RouteKind[] = ["weighted", "tester", "preview"];

export function backendProxy(service: string, route: RouteKind): string {
  return `${service}.${route}`;
}

export function frontendProxy(service: string, endpoint: "main" | "preview"): string {
  return endpoint === "main" ? `fe.${service}` : `fe.${service}.preview`;
}

/** The service a backend proxy belongs to, or undefined for proxies slipway does not route through. */
export function serviceOfProxy(proxy: string): { service: string; route: RouteKind } | undefined {
  const dot = proxy.lastIndexOf(".");
  const route = proxy.slice(dot + 1);
  if (dot <= 0 || !(routeKinds as readonly string[]).includes(route)) return undefined;
  return { service: proxy.slice(0, dot), route: route as RouteKind };
}

/** Every instance takes weighted traffic (at weight 0 when it should not); canaries and previews also take the tester route, previews the preview endpoint. */
export function routesForRole(role: BackendRole): RouteKind[] {
  switch (role) {
    case "stable":
      return ["weighted"];
    case "canary":
      return ["weighted", "tester"];
    case "preview":
      return ["weighted", "tester", "preview"];
  }
}

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Names go into HAProxy's configuration and command lines, so only DNS labels are let through. */
export function assertRoutableName(kind: "service" | "backend" | "revision", name: string): void {
  if (!dnsLabel.test(name)) {
    throw new SlipwayError("INTERNAL", `the ${kind} name ${JSON.stringify(name)} is not a DNS label`, {
      hint: "build router names with dnsLabelName() from domain/naming.ts",
    });
  }
}

export function assertRoutableAddress(address: string, port: number): void {
  if (!isIPv4(address) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new SlipwayError("INTERNAL", `the backend address ${address}:${port} is not an IPv4 literal and port`, {
      hint: "the router connects to instances by IP literal, e.g. 127.0.0.1 and the published port",
    });
  }
}

export function assertWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_SERVER_WEIGHT) {
    throw new SlipwayError("ROUTER_INVALID_WEIGHTS", `a backend weight must be a whole number from 0 to ${MAX_SERVER_WEIGHT}, got ${weight}`);
  }
}

/** HAProxy's largest server weight. */
export const MAX_SERVER_WEIGHT = 256;
