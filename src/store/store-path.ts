// Where a system's state store lives: its own module, so commands that only
// need the store do not load the platform's daemon and router code.
import { join } from "node:path";

export function storePath(system: { stateDir: string }): string {
  return join(system.stateDir, "state.db");
}
