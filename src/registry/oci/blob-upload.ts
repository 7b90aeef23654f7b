// Blob uploads as the distribution spec defines them: a session opened by
// POST (or by a mount the registry declined), then either one PUT carrying
// all bytes (monolithic) or PATCHes of chunks followed by an empty PUT. Bytes
// stream through a digester, so the digest is checked without holding the blob.
import type { Readable } from "node:stream";
import { SlipwayError } from "../../domain/errors.js";
import { DigestingStream } from "../digest.js";
import type { PushedBlob } from "../types.js";
import type { RegistryHttp } from "./registry-http.js";

export interface UploadSession {
  location: URL;
  /** OCI-Chunk-Min-Length: PATCHes (except the last) must carry at least this much. */
  minChunkBytes: number;
}

const pushScope = (repository: string): string => `repository:${repository}:pull,push`;
const OCTETS = "application/octet-stream";

export async function beginUpload(http: RegistryHttp, repository: string): Promise<UploadSession> {
  const response = await http.request({
    method: "POST",
    url: `/v2/${repository}/blobs/uploads/`,
    headers: { "content-length": "0" },
    scopes: [pushScope(repository)],
    expect: [202],
    context: { operation: "start a blob upload", repository },
  });
  response.body.resume();
  return session(http, response.header("location"), response.header("oci-chunk-min-length"), repository);
}

/** Asks the registry to link `digest` from `from`; undefined when it did (201), else the upload session it opened instead (202). */
export async function requestMount(http: RegistryHttp, repository: string, digest: string, from: string): Promise<UploadSession | undefined> {
  const query = new URLSearchParams({ mount: digest, from });
  const response = await http.request({
    method: "POST",
    url: `/v2/${repository}/blobs/uploads/?${query.toString()}`,
    headers: { "content-length": "0" },
    scopes: [pushScope(repository), `repository:${from}:pull`],
    expect: [201, 202],
    context: { operation: `mount a blob from ${from}`, repository, reference: digest },
  });
  response.body.resume();
  if (response.status === 202) return session(http, response.header("location"), response.header("oci-chunk-min-length"), repository);
  assertStoredDigest(response.header("docker-content-digest"), digest, repository);
  return undefined;
}

/** One PUT with every byte; needs the digest and size up front. */
export async function uploadMonolithic(http: RegistryHttp, repository: string, upload: UploadSession, content: Readable, digest: string, size: number): Promise<PushedBlob> {
  // A blob streamed from another registry is already being checked on the way in (getBlob): don't hash it twice.
  const digesting = content instanceof DigestingStream && content.verifies(digest, size) ? content : new DigestingStream({ digest, size, what: `blob ${digest} uploaded to ${repository}` });
  if (digesting !== content) {
    content.on("error", (err) => digesting.destroy(err));
    content.pipe(digesting);
  }
  const response = await http.request({
    method: "PUT",
    url: withDigest(upload.location, digest),
    headers: { "content-type": OCTETS, "content-length": String(size) },
    body: digesting,
    scopes: [pushScope(repository)],
    expect: [201],
    context: { operation: "upload a blob", repository, reference: digest },
  });
  response.body.resume();
  assertStoredDigest(response.header("docker-content-digest"), digest, repository);
  return { digest, size };
}

/** PATCHes of `chunkBytes` (the last may be shorter), then a PUT naming the digest computed on the way. */
export async function uploadChunked(http: RegistryHttp, repository: string, upload: UploadSession, content: Readable, expected: { digest?: string; size?: number; chunkBytes: number }): Promise<PushedBlob> {
  const chunkBytes = Math.max(expected.chunkBytes, upload.minChunkBytes, 1);
  const digesting = new DigestingStream({ ...expected, what: `blob uploaded to ${repository}` });
  content.on("error", (err) => digesting.destroy(err));
  content.pipe(digesting);
  let location = upload.location;
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const send = async (chunk: Buffer): Promise<void> => {
    const end = offset + chunk.length - 1;
    const response = await http.request({
      method: "PATCH",
      url: location,
      headers: { "content-type": OCTETS, "content-length": String(chunk.length), "content-range": `${offset}-${end}` },
      body: chunk,
      scopes: [pushScope(repository)],
      expect: [202],
      // A chunk sent twice would be appended twice; the session is abandoned instead.
      retry: false,
      context: { operation: `upload bytes ${offset}-${end} of a blob`, repository },
    });
    response.body.resume();
    location = resolveLocation(http, response.header("location"), repository) ?? location;
    offset = end + 1;
  };
  for await (const piece of digesting) {
    pending.push(piece as Buffer);
    pendingBytes += (piece as Buffer).length;
    while (pendingBytes >= chunkBytes) {
      const joined = Buffer.concat(pending);
      await send(joined.subarray(0, chunkBytes));
      pending = [joined.subarray(chunkBytes)];
      pendingBytes = joined.length - chunkBytes;
    }
  }
  if (pendingBytes > 0) await send(Buffer.concat(pending));
  const digest = digesting.digest;
  const response = await http.request({
    method: "PUT",
    url: withDigest(location, digest),
    headers: { "content-type": OCTETS, "content-length": "0" },
    scopes: [pushScope(repository)],
    expect: [201],
    context: { operation: "finish a blob upload", repository, reference: digest },
  });
  response.body.resume();
  assertStoredDigest(response.header("docker-content-digest"), digest, repository);
  return { digest, size: offset };
}

/** Abandons an upload session so the registry can drop its partial data; best effort. */
export async function cancelUpload(http: RegistryHttp, repository: string, upload: UploadSession): Promise<void> {
  try {
    const response = await http.request({ method: "DELETE", url: upload.location, scopes: [pushScope(repository)], expect: [204, 404], retry: false, context: { operation: "cancel a blob upload", repository } });
    response.body.resume();
  } catch {
    // The session expires on its own; the original failure is what matters.
  }
}

function session(http: RegistryHttp, location: string | undefined, minChunk: string | undefined, repository: string): UploadSession {
  const url = resolveLocation(http, location, repository);
  if (url === undefined) {
    throw new SlipwayError("REGISTRY_REFUSED", `the registry ${http.base.host} opened an upload in ${repository} without a Location`, { hint: "the registry does not follow the distribution spec" });
  }
  const min = Number(minChunk ?? "0");
  return { location: url, minChunkBytes: Number.isFinite(min) && min > 0 ? min : 0 };
}

function resolveLocation(http: RegistryHttp, location: string | undefined, repository: string): URL | undefined {
  if (location === undefined || location === "") return undefined;
  try {
    return new URL(location, http.base);
  } catch {
    throw new SlipwayError("REGISTRY_REFUSED", `the registry ${http.base.host} answered an upload to ${repository} with a malformed Location`, { hint: "the registry does not follow the distribution spec" });
  }
}

/** The session URL with `digest=` appended, its other parameters (Distribution's _state) untouched. */
function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.search = `${url.search === "" ? "?" : `${url.search}&`}digest=${encodeURIComponent(digest)}`;
  return url;
}

function assertStoredDigest(stored: string | undefined, expected: string, repository: string): void {
  if (stored !== undefined && stored !== expected) {
    throw new SlipwayError("DIGEST_MISMATCH", `the registry stored blob ${expected} in ${repository} as ${stored}`, { hint: "the registry or a proxy in between altered the bytes" });
  }
}
