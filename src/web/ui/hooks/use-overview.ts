// The overview's data, kept live: the system and GET /api/status once, then
// each rollout.progress event patches its cell at once and the environment's
// status is refetched behind it (debounced), so the text cells catch up with
// what only the runtime knows.
import { useCallback, useEffect, useRef, useState } from "react";
import { patchCell, type ProgressEvent } from "../../model/live.js";
import { buildOverview, type OverviewModel, type StatusRow } from "../../model/overview.js";
import { api } from "../api/client.js";
import { useServerEvents, type ServerEvent } from "../api/events.js";
import type { SystemInfo } from "../api/types.js";

const REFETCH_AFTER_MS = 1000;

export interface OverviewData {
  system?: SystemInfo;
  model?: OverviewModel;
  error?: string;
}

export function useOverview(): OverviewData {
  const [system, setSystem] = useState<SystemInfo>();
  const [model, setModel] = useState<OverviewModel>();
  const [error, setError] = useState<string>();
  const rows = useRef<StatusRow[]>([]);
  const versions = useRef(new Map<string, string>());
  const pending = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const rebuild = useCallback((info: SystemInfo, next: StatusRow[]) => {
    rows.current = next;
    setModel(buildOverview(info.environments, info.services.map((s) => s.name), next));
  }, []);

  useEffect(() => {
    let live = true;
    // The system and every environment's status at once (the server reads the environments in parallel); the browser
    // has them preloaded on a cold load of / (server/dashboard.ts), so the same URLs are asked for here.
    Promise.all([api.system(), api.status()]).then(
      ([info, status]) => {
        if (!live) return;
        setSystem(info);
        rebuild(info, status.services);
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    const timers = pending.current;
    return () => {
      live = false;
      for (const t of timers.values()) clearTimeout(t);
    };
  }, [rebuild]);

  const refetch = useCallback(
    (env: string | undefined) => {
      if (system === undefined) return;
      const key = env ?? "*";
      clearTimeout(pending.current.get(key));
      pending.current.set(
        key,
        setTimeout(() => {
          pending.current.delete(key);
          api.status(env).then(
            (status) => rebuild(system, env === undefined ? status.services : [...rows.current.filter((r) => r.environment !== env), ...status.services]),
            () => undefined,
          );
        }, REFETCH_AFTER_MS),
      );
    },
    [system, rebuild],
  );

  useServerEvents((event: ServerEvent) => {
    if (event.type === "rollout.started" && typeof event["version"] === "string") versions.current.set(String(event["targetRevision"]), event["version"]);
    if (event.type === "rollout.progress") {
      const progress = event as unknown as ProgressEvent;
      setModel((current) => {
        const cell = current?.cells[progress.service]?.[progress.environment];
        if (current === undefined || cell === undefined) return current;
        const row = { ...current.cells[progress.service], [progress.environment]: patchCell(cell, progress, versions.current) };
        return { ...current, cells: { ...current.cells, [progress.service]: row } };
      });
    }
    if (event.type === "reconnected") refetch(undefined);
    else if (event.environment !== undefined && event.type !== "repair.log") refetch(event.environment);
    else if (event.type === "release.changed") refetch(undefined);
  });

  return { ...(system === undefined ? {} : { system }), ...(model === undefined ? {} : { model }), ...(error === undefined ? {} : { error }) };
}
