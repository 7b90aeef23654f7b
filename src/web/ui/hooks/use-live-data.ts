// Data a page loads from the API and keeps live: loaded once, then loaded
// again (debounced) after each server event that concerns it, and after the
// event stream comes back from a drop.
import { useCallback, useEffect, useRef, useState } from "react";
import { useServerEvents, type ServerEvent } from "../api/events.js";

const DEBOUNCE_MS = 100;

export interface LiveData<T> {
  data?: T;
  error?: string;
  reload(): void;
}

export function useLiveData<T>(load: () => Promise<T>, concerns: (event: ServerEvent) => boolean, deps: readonly unknown[] = []): LiveData<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const generation = useRef(0);
  const loadNow = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadNow().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      },
      (err: unknown) => mine === generation.current && setError(err instanceof Error ? err.message : String(err)),
    );
  }, [loadNow]);

  useEffect(() => {
    setData(undefined);
    reload();
    return () => clearTimeout(timer.current);
  }, [reload]);

  useServerEvents((event) => {
    if (event.type !== "reconnected" && !concerns(event)) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, DEBOUNCE_MS);
  });
  return { ...(data === undefined ? {} : { data }), ...(error === undefined ? {} : { error }), reload };
}
