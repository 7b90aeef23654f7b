// The system's state store, opened for one use case and closed after.
import { loadSystem } from "../config/load-system.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";

export async function withStateStore<T>(config: string, use: (store: SqliteStore) => T): Promise<T> {
  const store = SqliteStore.open(storePath(await loadSystem(config)));
  try {
    return use(store);
  } finally {
    store.close();
  }
}
