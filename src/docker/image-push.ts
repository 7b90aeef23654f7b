// Pushes a local image to a registry through the Engine API and returns the
// digest the registry stored. The registry writes a tag only once the whole
// manifest is in, so a push that fails leaves no half-written tag.
import { SlipwayError } from "../domain/errors.js";
import type { DockerEngine } from "./engine.js";

interface PushEvent {
  status?: string;
  error?: string;
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** `reference` is repository:tag on the target registry, already tagged locally. */
export async function pushImage(engine: DockerEngine, reference: string, onOutput: (text: string) => void, signal: AbortSignal): Promise<string> {
  const at = reference.lastIndexOf(":");
  const repository = reference.slice(0, at);
  const tag = reference.slice(at + 1);
  const registry = repository.split("/")[0] ?? repository;
  let events: PushEvent[];
  try {
    const stream = await engine.streaming.getImage(repository).push({ tag, authconfig: { serveraddress: registry }, abortSignal: signal });
    events = await new Promise<PushEvent[]>((resolve, reject) => {
      engine.streaming.modem.followProgress(
        stream,
        (err: Error | null, all: PushEvent[]) => (err ? reject(err) : resolve(all)),
        (e: PushEvent) => {
          if (e.status !== undefined && !/^(Preparing|Waiting|Pushing)$/.test(e.status)) onOutput(`${e.status}\n`);
        },
      );
    });
  } catch (err) {
    throw signal.aborted ? (signal.reason ?? err) : engine.translate(err);
  }
  const failed = events.find((e) => e.error !== undefined);
  if (failed !== undefined) {
    const unreachable = /connection refused|no such host|i\/o timeout|EOF/i.test(failed.error ?? "");
    throw new SlipwayError(unreachable ? "REGISTRY_UNAVAILABLE" : "COMPONENT_FAILED", `pushing ${reference} failed: ${failed.error ?? ""}`, {
      retryable: unreachable,
      hint: unreachable ? `the registry ${registry} is not answering; \`slipway up\` starts the local registries` : "see the push log",
    });
  }
  const digest = events.find((e) => e.aux?.Digest !== undefined)?.aux?.Digest;
  if (digest === undefined) throw new SlipwayError("COMPONENT_FAILED", `pushing ${reference} reported no digest`);
  return digest;
}
