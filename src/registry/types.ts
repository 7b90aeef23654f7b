// The registry port: what release and CI code call to read, write and copy
// images in an OCI registry. OciRegistryClient (oci/) implements it over the
// OCI Distribution HTTP API; copyImage (copy-image.ts) is written against it.
import type { Readable } from "node:stream";

export const MediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  /** The two-byte `{}` blob artifacts use as config (OCI 1.1). */
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

/** Single-platform manifests, OCI first. */
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];
/** Multi-platform indexes, OCI first. */
export const INDEX_MEDIA_TYPES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];

export interface Platform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
}

/** Points at content by digest: a blob, a manifest or an index. */
export interface Descriptor {
  mediaType: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the content itself, for tiny blobs. */
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** An OCI image manifest or a Docker v2 schema 2 manifest: one platform. */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index or a Docker manifest list: several platforms (or referrers). */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/**
 * A manifest as the registry stored it. `bytes` are kept because the digest is
 * of those exact bytes: re-serializing the parsed JSON would change it.
 */
export type FetchedManifest =
  | { kind: "manifest"; descriptor: Descriptor; bytes: Uint8Array; manifest: Manifest }
  | { kind: "index"; descriptor: Descriptor; bytes: Uint8Array; manifest: Index };

/** A blob being read. The stream fails with DIGEST_MISMATCH at its end if the bytes do not match. */
export interface BlobStream {
  digest: string;
  /** -1 when the registry did not say. */
  size: number;
  stream: Readable;
}

export interface PushBlobOptions {
  /** Known digest: the registry and the client both check the bytes against it. */
  digest?: string;
  /** Known size: needed for a monolithic upload. */
  size?: number;
  /** "auto" uploads monolithically when digest and size are known, else in chunks. */
  mode?: "auto" | "monolithic" | "chunked";
  /** Bytes per PATCH in chunked mode; raised to the registry's minimum when it names one. */
  chunkSize?: number;
}

export interface PushedBlob {
  digest: string;
  /** -1 when a HEAD did not say. */
  size: number;
}

/** "mounted": the registry linked the blob from the other repository; "uploaded": it declined and the bytes were sent. */
export type MountOutcome = "mounted" | "uploaded";

export interface ListOptions {
  /** Entries per request (`n`); the client follows pages until the end. */
  pageSize?: number;
}

export interface ReferrersOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
}

/**
 * An OCI registry. Repository names are full paths inside the registry
 * (including any prefix of its address), e.g. `team/shop/api`.
 * Every failure is a SlipwayError (REGISTRY_*, DIGEST_MISMATCH, REFERENCE_INVALID).
 */
export interface RegistryClient {
  /** host:port: two clients with the same value talk to the same registry. */
  readonly registry: string;

  /** Checks the registry answers the v2 API, authenticating if it asks. */
  ping(): Promise<void>;

  /** By tag or digest. Throws REGISTRY_NOT_FOUND when absent. */
  getManifest(repository: string, reference: string): Promise<FetchedManifest>;
  /** Descriptor of a manifest by tag or digest, or undefined when absent. */
  headManifest(repository: string, reference: string): Promise<Descriptor | undefined>;
  /** Stores the exact bytes under a tag or their digest; returns the digest. */
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string>;
  /** By digest (tags too where the registry allows it). */
  deleteManifest(repository: string, reference: string): Promise<void>;

  /** Size of a blob, or undefined when the repository does not have it. */
  headBlob(repository: string, digest: string): Promise<PushedBlob | undefined>;
  getBlob(repository: string, digest: string): Promise<BlobStream>;
  /** Streams `content` into the repository; the stream is read once and never held whole. */
  pushBlob(repository: string, content: Readable, options?: PushBlobOptions): Promise<PushedBlob>;
  /**
   * Links a blob from repository `from` of the same registry. When the
   * registry declines, uploads the bytes `openContent` streams instead.
   */
  mountBlob(repository: string, blob: Descriptor, from: string, openContent: () => Promise<Readable>): Promise<MountOutcome>;
  deleteBlob(repository: string, digest: string): Promise<void>;

  listTags(repository: string, options?: ListOptions): Promise<string[]>;
  /** The catalog; many hosted registries refuse it. */
  listRepositories(options?: ListOptions): Promise<string[]>;

  /** Manifests whose `subject` is `digest` (OCI 1.1 referrers API, or the `sha256-<hex>` tag schema where it is missing). */
  referrers(repository: string, digest: string, options?: ReferrersOptions): Promise<Descriptor[]>;

  /** Frees pooled connections. */
  close(): void;
}
