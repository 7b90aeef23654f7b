// The registry port over the OCI Distribution HTTP API. Each method is one
// API operation: it names its scopes and expected statuses, checks digests
// of what it reads and writes, and leaves auth, retries and error wording to
// registry-http.ts. Uploads live in blob-upload.ts.
import type { Readable } from "node:stream";
import { SlipwayError } from "../../domain/errors.js";
import type { RegistryAddress } from "../../domain/registry-address.js";
import { computeDigest, DigestingStream } from "../digest.js";
import { decodeManifest, essence, MANIFEST_ACCEPT } from "../manifest-codec.js";
import { assertRepository, formatReference, parseDigest, parseReference, tryParseDigest } from "../reference.js";
import { filterByArtifactType, referrerDescriptor, referrersTag, withReferrer } from "../referrers.js";
import { MediaTypes, type BlobStream, type Descriptor, type FetchedManifest, type Index, type ListOptions, type MountOutcome, type PushBlobOptions, type PushedBlob, type ReferrersOptions, type RegistryClient } from "../types.js";
import type { Credentials } from "./authenticator.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import { beginUpload, cancelUpload, requestMount, uploadChunked, uploadMonolithic, type UploadSession } from "./blob-upload.js";
import { readBody, type HttpResponse } from "./http-transport.js";
import { nextPageUrl, pageAfter } from "./link-header.js";
import { RegistryHttp, type RetryEvent } from "./registry-http.js";

export type { Credentials } from "./authenticator.js";
export type { RetryPolicy } from "./backoff.js";
export type { RetryEvent } from "./registry-http.js";

export interface OciRegistryClientOptions {
  /** Used for Basic auth and to obtain bearer tokens; never logged, masked in error text. */
  credentials?: Credentials;
  retry?: Partial<RetryPolicy>;
  /** A connection silent this long is dropped (and retried where safe). */
  idleTimeoutMs?: number;
  /** Told before each retry; for progress output and tests. */
  onRetry?: (event: RetryEvent) => void;
  /** Bytes per PATCH for chunked uploads. */
  chunkBytes?: number;
}

/** The spec asks registries to accept manifests up to 4 MiB; larger is not a manifest we can trust. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

const pull = (repository: string): string => `repository:${repository}:pull`;
const push = (repository: string): string => `repository:${repository}:pull,push`;

export class OciRegistryClient implements RegistryClient {
  readonly registry: string;
  readonly #http: RegistryHttp;
  readonly #chunkBytes: number;

  /** Repository names given to the methods are full paths in the registry: any prefix of the address is the caller's to add. */
  constructor(address: RegistryAddress, options: OciRegistryClientOptions = {}) {
    this.registry = address.authority;
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#http = new RegistryHttp(address, options.credentials, {
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    });
  }

  async ping(): Promise<void> {
    const response = await this.#http.request({ method: "GET", url: "/v2/", scopes: [], expect: [200], context: { operation: "check the v2 API" } });
    response.body.resume();
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const fetched = await this.#fetchManifest(this.#name(repository), reference);
    // Unreachable: without missingIsAbsent a 404 throws REGISTRY_NOT_FOUND.
    if (fetched === undefined) throw new SlipwayError("INTERNAL", `manifest ${formatReference(repository, reference)} vanished while being read`);
    return fetched;
  }

  async headManifest(repository: string, reference: string): Promise<Descriptor | undefined> {
    const name = this.#name(repository);
    const ref = parseReference(reference);
    const response = await this.#http.request({
      method: "HEAD",
      url: `/v2/${name}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pull(name)],
      expect: [200, 404],
      context: { operation: "look up manifest", repository: name, reference },
    });
    response.body.resume();
    if (response.status === 404) return undefined;
    const digest = response.header("docker-content-digest") ?? (ref.kind === "digest" ? ref.digest : undefined);
    const mediaType = essence(response.header("content-type"));
    const size = contentLength(response);
    // Without these headers a HEAD cannot describe the manifest; read it instead.
    if (digest === undefined || tryParseDigest(digest) === undefined || mediaType === undefined || size === undefined) return (await this.#fetchManifest(name, reference))?.descriptor;
    return { mediaType, digest, size };
  }

  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const name = this.#name(repository);
    const ref = parseReference(reference);
    const decoded = this.#decode(bytes, mediaType, name, reference);
    const digest = computeDigest(bytes, ref.kind === "digest" ? parseDigest(ref.digest).algorithm : "sha256");
    if (ref.kind === "digest" && ref.digest !== digest) {
      throw new SlipwayError("DIGEST_MISMATCH", `the manifest to store as ${formatReference(name, reference)} hashes to ${digest}`, { hint: "store a manifest under its own digest, or under a tag" });
    }
    const response = await this.#http.request({
      method: "PUT",
      url: `/v2/${name}/manifests/${reference}`,
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [push(name)],
      expect: [201],
      context: { operation: "store manifest", repository: name, reference },
    });
    response.body.resume();
    const stored = response.header("docker-content-digest");
    if (stored !== undefined && stored !== digest && tryParseDigest(stored)?.algorithm === parseDigest(digest).algorithm) {
      throw new SlipwayError("DIGEST_MISMATCH", `the registry ${this.registry} stored manifest ${formatReference(name, reference)} as ${stored}, but its bytes hash to ${digest}`, { hint: "the registry or a proxy rewrote the manifest" });
    }
    const subject = decoded.manifest.subject;
    // A registry with the referrers API says so with OCI-Subject; without it, keep the fallback tag's index up to date.
    if (subject !== undefined && response.header("oci-subject") === undefined) {
      await this.#recordReferrer(name, subject.digest, referrerDescriptor(decoded.manifest, mediaType, digest, bytes.length));
    }
    return digest;
  }

  async deleteManifest(repository: string, reference: string): Promise<void> {
    const name = this.#name(repository);
    parseReference(reference);
    const response = await this.#http.request({ method: "DELETE", url: `/v2/${name}/manifests/${reference}`, scopes: [`repository:${name}:delete`], expect: [202], context: { operation: "delete manifest", repository: name, reference } });
    response.body.resume();
  }

  async headBlob(repository: string, digest: string): Promise<PushedBlob | undefined> {
    const name = this.#name(repository);
    parseDigest(digest);
    const response = await this.#http.request({ method: "HEAD", url: `/v2/${name}/blobs/${digest}`, scopes: [pull(name)], expect: [200, 404], context: { operation: "look up blob", repository: name, reference: digest } });
    response.body.resume();
    if (response.status === 404) return undefined;
    return { digest, size: contentLength(response) ?? -1 };
  }

  async getBlob(repository: string, digest: string): Promise<BlobStream> {
    const name = this.#name(repository);
    parseDigest(digest);
    const response = await this.#http.request({ method: "GET", url: `/v2/${name}/blobs/${digest}`, scopes: [pull(name)], expect: [200], context: { operation: "read blob", repository: name, reference: digest } });
    const size = contentLength(response);
    const verified = new DigestingStream({ digest, ...(size === undefined ? {} : { size }), what: `blob ${digest} of ${name} at registry ${this.registry}` });
    response.body.on("error", (err) => verified.destroy(err));
    // A reader that stops early must not leave the connection half-read.
    verified.on("close", () => {
      if (!response.body.readableEnded) response.body.destroy();
    });
    response.body.pipe(verified);
    return { digest, size: size ?? -1, stream: verified };
  }

  async pushBlob(repository: string, content: Readable, options: PushBlobOptions = {}): Promise<PushedBlob> {
    const name = this.#name(repository);
    if (options.digest !== undefined) parseDigest(options.digest);
    if (options.mode === "monolithic" && (options.digest === undefined || options.size === undefined)) {
      throw new SlipwayError("INTERNAL", `a monolithic upload to ${name} needs the digest and size up front`, { hint: "pass digest and size, or use mode \"chunked\"" });
    }
    return closingOnFailure(content, async () => this.#upload(name, await beginUpload(this.#http, name), content, options));
  }

  async mountBlob(repository: string, blob: Descriptor, from: string, openContent: () => Promise<Readable>): Promise<MountOutcome> {
    const name = this.#name(repository);
    assertRepository(from);
    const upload = await requestMount(this.#http, name, blob.digest, from);
    if (upload === undefined) return "mounted";
    const content = await openContent();
    await closingOnFailure(content, () => this.#upload(name, upload, content, { digest: blob.digest, size: blob.size }));
    return "uploaded";
  }

  async deleteBlob(repository: string, digest: string): Promise<void> {
    const name = this.#name(repository);
    parseDigest(digest);
    const response = await this.#http.request({ method: "DELETE", url: `/v2/${name}/blobs/${digest}`, scopes: [`repository:${name}:delete`], expect: [202], context: { operation: "delete blob", repository: name, reference: digest } });
    response.body.resume();
  }

  async listTags(repository: string, options: ListOptions = {}): Promise<string[]> {
    const name = this.#name(repository);
    return this.#paginate(`/v2/${name}/tags/list`, "tags", [pull(name)], { operation: "list tags", repository: name }, options.pageSize);
  }

  async listRepositories(options: ListOptions = {}): Promise<string[]> {
    return this.#paginate("/v2/_catalog", "repositories", ["registry:catalog:*"], { operation: "list repositories" }, options.pageSize);
  }

  async referrers(repository: string, digest: string, options: ReferrersOptions = {}): Promise<Descriptor[]> {
    const name = this.#name(repository);
    parseDigest(digest);
    const query = options.artifactType === undefined ? "" : `?${new URLSearchParams({ artifactType: options.artifactType }).toString()}`;
    const response = await this.#http.request({
      method: "GET",
      url: `/v2/${name}/referrers/${digest}${query}`,
      headers: { accept: MediaTypes.ociIndex },
      scopes: [pull(name)],
      expect: [200, 404],
      context: { operation: "list referrers of", repository: name, reference: digest },
    });
    if (response.status === 404) {
      // No referrers API (Distribution 2.8, older Harbor): read the tag-schema index.
      response.body.resume();
      const fallback = await this.#fetchManifest(name, referrersTag(digest), { missingIsAbsent: true });
      return filterByArtifactType(fallback?.kind === "index" ? fallback.manifest.manifests : [], options.artifactType);
    }
    const index = this.#decode(await this.#readManifestBytes(response, name, digest), MediaTypes.ociIndex, name, digest);
    const listed = index.kind === "index" ? index.manifest.manifests : [];
    // OCI-Filters-Applied tells whether the registry filtered; if not, filter here.
    const filtered = (response.header("oci-filters-applied") ?? "").split(",").map((s) => s.trim()).includes("artifactType");
    return filtered ? listed : filterByArtifactType(listed, options.artifactType);
  }

  close(): void {
    this.#http.close();
  }

  #name(repository: string): string {
    assertRepository(repository);
    return repository;
  }

  async #upload(name: string, upload: UploadSession, content: Readable, options: PushBlobOptions): Promise<PushedBlob> {
    const { digest, size } = options;
    const monolithic = options.mode === "monolithic" || (options.mode !== "chunked" && digest !== undefined && size !== undefined);
    try {
      if (monolithic && digest !== undefined && size !== undefined) return await uploadMonolithic(this.#http, name, upload, content, digest, size);
      return await uploadChunked(this.#http, name, upload, content, { ...(digest === undefined ? {} : { digest }), ...(size === undefined ? {} : { size }), chunkBytes: options.chunkSize ?? this.#chunkBytes });
    } catch (err) {
      content.destroy();
      await cancelUpload(this.#http, name, upload);
      throw err;
    }
  }

  /** Reads and checks a manifest; undefined on 404 only when asked to treat that as absent. */
  async #fetchManifest(name: string, reference: string, options: { missingIsAbsent?: boolean } = {}): Promise<FetchedManifest | undefined> {
    const ref = parseReference(reference);
    const response = await this.#http.request({
      method: "GET",
      url: `/v2/${name}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pull(name)],
      expect: options.missingIsAbsent === true ? [200, 404] : [200],
      context: { operation: "get manifest", repository: name, reference },
    });
    if (response.status === 404) {
      response.body.resume();
      return undefined;
    }
    const bytes = await this.#readManifestBytes(response, name, reference);
    const expected = ref.kind === "digest" ? ref.digest : response.header("docker-content-digest");
    const algorithm = expected === undefined ? "sha256" : (tryParseDigest(expected)?.algorithm ?? "sha256");
    const digest = computeDigest(bytes, algorithm);
    if (expected !== undefined && expected !== digest) {
      throw new SlipwayError("DIGEST_MISMATCH", `manifest ${formatReference(name, reference)} from registry ${this.registry} hashes to ${digest}, but the registry calls it ${expected}`, {
        hint: "the registry or a proxy altered the manifest; do not deploy it",
      });
    }
    const decoded = this.#decode(bytes, response.header("content-type"), name, reference);
    const descriptor: Descriptor = { mediaType: decoded.mediaType, digest, size: bytes.length };
    return decoded.kind === "index" ? { kind: "index", descriptor, bytes, manifest: decoded.manifest } : { kind: "manifest", descriptor, bytes, manifest: decoded.manifest };
  }

  async #readManifestBytes(response: HttpResponse, name: string, reference: string): Promise<Uint8Array> {
    try {
      return await readBody(response.body, MANIFEST_LIMIT);
    } catch (err) {
      throw new SlipwayError("REGISTRY_REFUSED", `manifest ${formatReference(name, reference)} from registry ${this.registry} could not be read: ${err instanceof Error ? err.message : String(err)}`, {
        hint: "manifests are at most 4 MiB; a larger answer is not a manifest",
        cause: err,
      });
    }
  }

  #decode(bytes: Uint8Array, contentType: string | undefined, name: string, reference: string): ReturnType<typeof decodeManifest> {
    try {
      return decodeManifest(bytes, contentType);
    } catch (err) {
      throw new SlipwayError("REGISTRY_REFUSED", `manifest ${formatReference(name, reference)} at registry ${this.registry}: ${err instanceof Error ? err.message : String(err)}`, {
        hint: "slipway reads OCI image manifests and indexes and Docker v2 schema 2 manifests and lists",
      });
    }
  }

  /** Adds a referrer to the subject's `sha256-<hex>` index (read, append, write; last writer wins, as the spec accepts). */
  async #recordReferrer(name: string, subjectDigest: string, referrer: Descriptor): Promise<void> {
    const tag = referrersTag(subjectDigest);
    const current = await this.#fetchManifest(name, tag, { missingIsAbsent: true });
    const next = withReferrer(current?.kind === "index" ? current.manifest : undefined, referrer);
    if (next === undefined) return;
    await this.putManifest(name, tag, new TextEncoder().encode(JSON.stringify(next satisfies Index)), MediaTypes.ociIndex);
  }

  async #paginate(path: string, key: "tags" | "repositories", scopes: readonly string[], context: { operation: string; repository?: string }, pageSize: number | undefined): Promise<string[]> {
    const seen = new Set<string>();
    let url: URL | undefined = new URL(path, this.#http.base);
    if (pageSize !== undefined) url.searchParams.set("n", String(pageSize));
    while (url !== undefined) {
      const response = await this.#http.request({ method: "GET", url, scopes, expect: [200], context });
      const page = parseListPage(await readBody(response.body, 16 * 1024 * 1024), key);
      const before = seen.size;
      for (const entry of page) seen.add(entry);
      const link = nextPageUrl(response.header("link"), url);
      const last = page.at(-1);
      // Without a Link, a full page may still have a successor (registries that honour n/last but send no Link).
      if (link !== undefined) url = link;
      else if (pageSize !== undefined && page.length === pageSize && last !== undefined && seen.size > before) url = pageAfter(url, last, pageSize);
      else url = undefined;
      if (seen.size === before) url = undefined; // A page with nothing new: stop rather than loop.
    }
    return [...seen];
  }
}

function parseListPage(bytes: Buffer, key: "tags" | "repositories"): string[] {
  try {
    const body = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    const list = body[key];
    return Array.isArray(list) ? list.filter((e): e is string => typeof e === "string") : [];
  } catch {
    return [];
  }
}

function contentLength(response: HttpResponse): number | undefined {
  const value = response.header("content-length");
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Runs an upload of `content`, destroying it if the upload fails. An upload
 * can fail before it reads a byte (the registry down at the POST): left
 * open, a blob streamed from another registry kept its connection until the
 * idle timeout cut it, and that error, with no one listening any more,
 * crashed slipway after it had reported REGISTRY_UNAVAILABLE (exit 1, not 5).
 */
async function closingOnFailure<T>(content: Readable, upload: () => Promise<T>): Promise<T> {
  try {
    return await upload();
  } catch (err) {
    content.destroy();
    throw err;
  }
}
