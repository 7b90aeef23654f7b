// The frame around every page: a skip link, the navigation, who is logged
// in with a log-out button, and the page the URL names.
import { lazy, Suspense, type ReactNode } from "react";
import { AuditPage } from "../pages/audit.js";
import { CiRunsPage } from "../pages/ci-runs.js";
import { OverviewPage } from "../pages/overview.js";
import { ReleasesPage } from "../pages/releases.js";
import { UsersPage } from "../pages/users.js";
import { Link, matchRoute, paths, usePath, type RouteMatch } from "../router.js";
import { roleAtLeast, useSession } from "../session.js";

// The rollout view and its chart library load when first opened: the overview's cold load stays small.
const RolloutPage = lazy(() => import("../pages/rollout.js").then((m) => ({ default: m.RolloutPage })));

const NAV: { to: string; label: string; page: RouteMatch["page"] }[] = [
  { to: paths.overview, label: "Overview", page: "overview" },
  { to: paths.releases, label: "Releases", page: "releases" },
  { to: paths.ci, label: "CI runs", page: "ci" },
  { to: paths.audit, label: "Audit", page: "audit" },
  { to: paths.users, label: "Users", page: "users" },
];

export function Shell(props: { onLogout: () => void }): ReactNode {
  const session = useSession();
  const route = matchRoute(usePath());
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Slipway</span>
        <nav aria-label="Main">
          <ul>
            {/* Users only for admins: the server refuses the rest (the page says so when reached by its URL). */}
            {NAV.filter((item) => item.page !== "users" || roleAtLeast(session.role, "admin")).map((item) => (
              <li key={item.page}>
                <Link to={item.to} aria-current={route.page === item.page || (item.page === "overview" && route.page === "rollout") ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="whoami" title={`logged in by ${session.via}`}>
          {session.user} <span className="role">{session.role}</span>
        </span>
        <button type="button" className="button secondary" onClick={props.onLogout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: RouteMatch }): ReactNode {
  switch (route.page) {
    case "overview":
      return <OverviewPage />;
    case "rollout":
      return (
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <RolloutPage env={route.env} service={route.service} />
        </Suspense>
      );
    case "releases":
      return <ReleasesPage />;
    case "ci":
      return <CiRunsPage />;
    case "audit":
      return <AuditPage />;
    case "users":
      return <UsersPage />;
    case "not-found":
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link to={paths.overview}>Back to the overview</Link>.
          </p>
        </section>
      );
  }
}
