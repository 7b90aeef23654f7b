// The runtime never pulls (runtime/docker/docker-runtime.ts): pulling is a
// step of its own, done once before a rollout, with the registry's
// credentials, so every instance the rollout creates finds the image.
import type { DockerEngine } from "../../docker/engine.js";
import { SlipwayError } from "../../domain/errors.js";

export async function ensureImagePresent(engine: DockerEngine, reference: string, auth?: { username: string; password: string }): Promise<"present" | "pulled"> {
  if (await engine.imageExists(reference)) return "present";
  const api = engine.streaming; // a pull lasts as long as the download
  try {
    const stream = await api.pull(reference, auth === undefined ? {} : { authconfig: auth });
    await new Promise<void>((resolve, reject) => api.modem.followProgress(stream, (err: Error | null) => (err === null ? resolve() : reject(err))));
  } catch (err) {
    throw new SlipwayError("REGISTRY_UNAVAILABLE", `could not pull ${reference} into Docker Engine: ${(err as Error).message}`, {
      cause: err,
      retryable: true,
      hint: "check that the registry runs (`slipway up`) and holds that digest",
    });
  }
  if (!(await engine.imageExists(reference))) throw new SlipwayError("REGISTRY_NOT_FOUND", `${reference} is not in Docker Engine after pulling it`);
  return "pulled";
}
