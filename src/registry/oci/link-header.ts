// Pagination links (RFC 8288) as registries send them for tag and catalog
// lists: Link: </v2/app/tags/list?last=b&n=2>; rel="next".

/** The `rel="next"` target resolved against `base`, or undefined on the last page. */
export function nextPageUrl(header: string | undefined, base: URL): URL | undefined {
  if (header === undefined) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (relations.includes("next")) {
      try {
        return new URL(match[1] ?? "", base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The next page by `last` when the registry paginates but sends no Link (older registries). */
export function pageAfter(url: URL, last: string, pageSize: number): URL {
  const next = new URL(url);
  next.searchParams.set("n", String(pageSize));
  next.searchParams.set("last", last);
  return next;
}
