// Free loopback ports, asked of the kernel: bind port 0, read the port, close.
// Another process could take one before the container binds it; the caller
// then tries again with fresh ports.
import { createServer, type AddressInfo, type Server } from "node:net";

export async function freeLoopbackPorts(count: number): Promise<number[]> {
  // Every socket stays bound until all are, so the kernel hands out distinct ports.
  const bound = await Promise.allSettled(Array.from({ length: count }, listenOnAnyPort));
  const servers = bound.flatMap((b) => (b.status === "fulfilled" ? [b.value] : []));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  const failed = bound.find((b) => b.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return ports;
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
