// An environment's lock history (`slipway history --env E`, GET
// /api/environments/:env/history): every change of its set of digests with
// the resulting lock, what changed, who, when and the result.
import { loadSystem } from "../config/load-system.js";
import type { LockHistoryEntry } from "../domain/lock-history.js";
import { SlipwayError } from "../domain/errors.js";
import { environmentOf } from "../domain/placement.js";
import { SqliteLockHistoryStore } from "../store/sqlite/lock-history-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";

async function withHistory<T>(config: string, envName: string, use: (history: SqliteLockHistoryStore, system: string, environment: string) => T): Promise<T> {
  const system = await loadSystem(config);
  const { environment } = environmentOf(system.config, envName);
  const store = SqliteStore.open(storePath(system));
  try {
    return use(new SqliteLockHistoryStore(store.db), system.config.system, environment.name);
  } finally {
    store.close();
  }
}

/** Newest first. */
export function lockHistory(config: string, envName: string, limit = 50): Promise<LockHistoryEntry[]> {
  return withHistory(config, envName, (history, system, environment) => history.list(system, environment, limit));
}

export function lockHistoryEntry(config: string, envName: string, number: number): Promise<LockHistoryEntry> {
  return withHistory(config, envName, (history, system, environment) => findEntry(history, system, environment, number));
}

export function findEntry(history: SqliteLockHistoryStore, system: string, environment: string, number: number): LockHistoryEntry {
  const entry = Number.isInteger(number) ? history.get(system, environment, number) : undefined;
  if (entry === undefined) {
    const newest = history.latest(system, environment)?.number;
    throw new SlipwayError("USAGE", `${environment} has no lock ${number} in its history${newest === undefined ? " (the history is empty)" : ` (locks 1–${newest})`}`, {
      hint: `\`slipway history --env ${environment}\` lists them`,
    });
  }
  return entry;
}
