// Builds an image through the Engine API from exactly the files we choose to
// send (the context minus .dockerignore), with labels and build arguments.
import type { DockerEngine } from "./engine.js";
import { SlipwayError } from "../domain/errors.js";

export interface ImageBuildSpec {
  contextDir: string;
  /** Paths relative to contextDir to send; the Dockerfile must be among them. */
  files: readonly string[];
  dockerfile: string;
  tags: readonly string[];
  labels: Readonly<Record<string, string>>;
  buildArgs: Readonly<Record<string, string>>;
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Returns the image id. Throws a SlipwayError carrying the builder's message when the Dockerfile fails. */
export async function buildImage(engine: DockerEngine, spec: ImageBuildSpec, onOutput: (text: string) => void, signal: AbortSignal): Promise<string> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.streaming.buildImage(
      { context: spec.contextDir, src: [...spec.files] },
      {
        t: spec.tags[0],
        dockerfile: spec.dockerfile,
        labels: { ...spec.labels },
        buildargs: { ...spec.buildArgs },
        rm: true,
        forcerm: true,
        abortSignal: signal,
      },
    );
  } catch (err) {
    throw signal.aborted ? (signal.reason ?? err) : engine.translate(err);
  }
  const events = await new Promise<BuildEvent[]>((resolve, reject) => {
    engine.streaming.modem.followProgress(
      stream,
      (err: Error | null, all: BuildEvent[]) => (err ? reject(signal.aborted ? (signal.reason ?? err) : engine.translate(err)) : resolve(all)),
      (event: BuildEvent) => {
        if (event.stream !== undefined) onOutput(event.stream);
        if (event.error !== undefined) onOutput(event.error + "\n");
      },
    );
  });
  const failed = events.find((e) => e.error !== undefined);
  if (failed !== undefined) {
    throw new SlipwayError("CHILD_PROCESS", `the image build failed: ${failed.errorDetail?.message ?? failed.error ?? "unknown error"}`, {
      hint: `fix ${spec.dockerfile}; the whole build output is in the stage log`,
    });
  }
  const id = [...events].reverse().find((e) => e.aux?.ID !== undefined)?.aux?.ID;
  if (id === undefined) throw new SlipwayError("COMPONENT_FAILED", "Docker Engine finished the build without reporting an image id");
  for (const tag of spec.tags.slice(1)) {
    const at = tag.lastIndexOf(":");
    await engine.api.getImage(id).tag({ repo: tag.slice(0, at), tag: tag.slice(at + 1) });
  }
  return id;
}
