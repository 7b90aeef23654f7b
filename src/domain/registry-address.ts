// A registry's address as slipway.yaml gives it: "127.0.0.1:5001",
// "http://127.0.0.1:5001" or "https://registry.example.com/team".

export interface RegistryAddress {
  scheme: "http" | "https";
  host: string;
  port: number;
  /** Repository prefix inside the registry, without slashes at either end ("" for none). */
  prefix: string;
  /** host:port, as image references name the registry. */
  authority: string;
  isLoopback: boolean;
}

export function parseRegistryUrl(url: string): RegistryAddress {
  const explicitScheme = /^(https?):\/\//i.exec(url)?.[1]?.toLowerCase() as "http" | "https" | undefined;
  const withoutScheme = url.replace(/^https?:\/\//i, "");
  const [authorityPart = "", ...rest] = withoutScheme.split("/");
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(authorityPart);
  if (match === null) throw new Error(`"${url}" is not a registry address such as 127.0.0.1:5001 or https://registry.example.com`);
  const host = match[1] ?? "";
  const loopback = isLoopbackHost(host);
  // Loopback registries speak plain HTTP unless told otherwise, as Docker assumes.
  const scheme = explicitScheme ?? (loopback ? "http" : "https");
  const port = match[2] !== undefined ? Number(match[2]) : scheme === "http" ? 80 : 443;
  if (port < 1 || port > 65535) throw new Error(`"${url}" has port ${port}; a port is 1 to 65535`);
  return {
    scheme,
    host,
    port,
    prefix: rest.filter((s) => s !== "").join("/"),
    authority: match[2] !== undefined ? `${host}:${port}` : host,
    isLoopback: loopback,
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "[::1]";
}
