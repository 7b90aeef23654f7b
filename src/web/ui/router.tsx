// A small History API router: the server answers every non-API path with
// the dashboard (SPA fallback), so a URL can be bookmarked and reloaded.
import { useEffect, useState, type MouseEvent, type ReactNode } from "react";

export type RouteMatch =
  | { page: "overview" }
  | { page: "rollout"; env: string; service: string }
  | { page: "releases" }
  | { page: "ci" }
  | { page: "audit" }
  | { page: "users" }
  | { page: "not-found"; path: string };

export function matchRoute(path: string): RouteMatch {
  if (path === "/" || path === "") return { page: "overview" };
  const rollout = /^\/rollouts\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (rollout?.[1] !== undefined && rollout[2] !== undefined) return { page: "rollout", env: decodeURIComponent(rollout[1]), service: decodeURIComponent(rollout[2]) };
  if (/^\/releases\/?$/.test(path)) return { page: "releases" };
  if (/^\/ci\/?$/.test(path)) return { page: "ci" };
  if (/^\/audit\/?$/.test(path)) return { page: "audit" };
  if (/^\/users\/?$/.test(path)) return { page: "users" };
  return { page: "not-found", path };
}

export const paths = {
  overview: "/",
  rollout: (env: string, service: string): string => `/rollouts/${encodeURIComponent(env)}/${encodeURIComponent(service)}`,
  releases: "/releases",
  ci: "/ci",
  audit: "/audit",
  users: "/users",
};

const NAVIGATED = "slipway:navigated";

export function navigate(to: string): void {
  if (to === window.location.pathname) return;
  window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATED));
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = (): void => setPath(window.location.pathname);
    window.addEventListener("popstate", update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return path;
}

/** A real link (open in a new tab works); a plain click navigates in place. */
export function Link(props: { to: string; children: ReactNode; className?: string; "aria-current"?: "page" | undefined; title?: string }): ReactNode {
  const { to, children, ...rest } = props;
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
