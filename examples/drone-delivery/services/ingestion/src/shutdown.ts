// Graceful shutdown: stop accepting connections, let in-flight requests
// finish, then resolve. Used on SIGTERM so that rollouts drop no requests.

import type { Server } from "node:http";

/**
 * Closes the server gracefully. Resolves true when every connection ended
 * within `timeoutMs`, false when the remaining connections had to be cut.
 */
export function closeGracefully(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve(true);
      return;
    }
    // Keep-alive connections that sit idle between requests would hold
    // close() open; close them as soon as they go idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
      resolve(false);
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}
