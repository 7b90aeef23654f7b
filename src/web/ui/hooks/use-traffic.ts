// The per-revision traffic series of GET …/traffic, polled every second
// while the rollout view is open (the server samples the router while asked).
import { useEffect, useState } from "react";
import { api } from "../api/client.js";
import type { TrafficSeries } from "../api/types.js";

const POLL_MS = 1000;

export function useTraffic(env: string, service: string): TrafficSeries | undefined {
  const [series, setSeries] = useState<TrafficSeries>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (): void => {
      api.traffic(env, service).then(
        (s) => live && setSeries(s),
        () => undefined,
      ).finally(() => {
        if (live) timer = setTimeout(poll, POLL_MS);
      });
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [env, service]);
  return series;
}
