// One service's rollout in one environment, kept live: GET …/rollout once,
// the rollout.progress events of this service patch its state at once, and
// any event about it refetches the rest (analyses, measurements, revisions)
// behind that, debounced.
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client.js";
import { useServerEvents } from "../api/events.js";
import type { RolloutAnswer, RolloutState } from "../api/types.js";

const REFETCH_AFTER_MS = 300;

export interface LiveRollout {
  answer?: RolloutAnswer;
  /** The split of the latest rollout.progress event, with when it came. */
  eventWeights?: { weights: Record<string, number>; atMs: number };
  error?: string;
  refetch: () => void;
}

export function useRollout(env: string, service: string): LiveRollout {
  const [answer, setAnswer] = useState<RolloutAnswer>();
  const [eventWeights, setEventWeights] = useState<LiveRollout["eventWeights"]>();
  const [error, setError] = useState<string>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const load = useCallback(() => {
    api.rollout(env, service).then(
      (a) => {
        setAnswer(a);
        setError(undefined);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [env, service]);

  const refetch = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(load, REFETCH_AFTER_MS);
  }, [load]);

  useEffect(() => {
    setAnswer(undefined);
    setEventWeights(undefined);
    load();
    return () => clearTimeout(timer.current);
  }, [load]);

  useServerEvents((event) => {
    if (event.type === "reconnected") return refetch();
    if (event.environment !== env || event.service !== service) return;
    if (event.type === "rollout.progress") {
      const state = event["state"] as RolloutState;
      const observed = event["observed"] as { weights: Record<string, number> };
      setEventWeights({ weights: observed.weights, atMs: Date.now() });
      setAnswer((current) => (current === undefined || current.rollout.id !== state.id ? current : { ...current, rollout: { ...current.rollout, state } }));
    }
    refetch();
  });

  return { ...(answer === undefined ? {} : { answer }), ...(eventWeights === undefined ? {} : { eventWeights }), ...(error === undefined ? {} : { error }), refetch };
}
