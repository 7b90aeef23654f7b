// Names as the OCI distribution spec defines them: repository names, tags,
// digests, and full image references such as 127.0.0.1:5001/team/app:1.2.
import { SlipwayError } from "../domain/errors.js";

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
/** Hex lengths of the algorithms the spec registers; others are rejected rather than trusted blindly. */
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: "sha256" | "sha512";
  hex: string;
}

export type Reference = { kind: "tag"; tag: string } | { kind: "digest"; digest: string };

export interface ImageReference {
  /** host[:port], when the text names one. */
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

export function isValidRepository(name: string): boolean {
  return name.length <= 255 && REPOSITORY.test(name);
}

export function assertRepository(name: string): void {
  if (!isValidRepository(name)) {
    throw invalid(`"${name}" is not a repository name`, "use lowercase letters, digits and separators (. _ __ -) in path components joined by /, e.g. team/app");
  }
}

/** Parses `sha256:<64 hex>` or `sha512:<128 hex>`, or undefined when `text` is not one. */
export function tryParseDigest(text: string): ParsedDigest | undefined {
  const match = DIGEST.exec(text);
  if (match === null) return undefined;
  const algorithm = match[1] ?? "";
  const hex = match[2] ?? "";
  const length = HEX_LENGTH[algorithm];
  if (length === undefined || hex.length !== length || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm: algorithm as ParsedDigest["algorithm"], hex };
}

export function parseDigest(text: string): ParsedDigest {
  const parsed = tryParseDigest(text);
  if (parsed === undefined) throw invalid(`"${text}" is not a digest`, "a digest looks like sha256: followed by 64 lowercase hex digits");
  return parsed;
}

/** A manifest reference as the API takes it: a tag or a digest. */
export function parseReference(text: string): Reference {
  if (text.includes(":")) return { kind: "digest", digest: (parseDigest(text), text) };
  if (TAG.test(text)) return { kind: "tag", tag: text };
  throw invalid(`"${text}" is neither a tag nor a digest`, "a tag is up to 128 letters, digits, _ . - and does not start with . or -");
}

/** `repo:tag` or `repo@digest`, for messages. */
export function formatReference(repository: string, reference: string): string {
  return `${repository}${reference.includes(":") ? "@" : ":"}${reference}`;
}

/**
 * Splits `[registry/]repository[:tag][@digest]`. The first path component is
 * a registry when it has a dot or a port or is `localhost`, as Docker decides.
 */
export function parseImageReference(text: string): ImageReference {
  const at = text.indexOf("@");
  const digest = at === -1 ? undefined : text.slice(at + 1);
  if (digest !== undefined) parseDigest(digest);
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  const lastSlash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.indexOf(":", lastSlash + 1);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
  if (tag !== undefined && !TAG.test(tag)) throw invalid(`"${text}" has an invalid tag "${tag}"`, "a tag is up to 128 letters, digits, _ . -");
  const name = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const [first = "", ...rest] = name.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const repository = hasRegistry ? rest.join("/") : name;
  if (!isValidRepository(repository)) throw invalid(`"${text}" has an invalid repository name "${repository}"`, "repository names are lowercase path components joined by /");
  return { registry: hasRegistry ? first : undefined, repository, tag, digest };
}

function invalid(message: string, hint: string): SlipwayError {
  return new SlipwayError("REFERENCE_INVALID", message, { hint });
}
