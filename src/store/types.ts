// The state store port: where slipway keeps what it knows (pipeline runs,
// releases, desired and observed state). SQLite implements it; later issues
// add the records each subsystem needs as numbered migrations.

export interface MigrationStatus {
  /** Highest migration applied. */
  version: number;
  /** Migrations applied by this open, in order. */
  applied: number[];
}

export interface StateStore {
  readonly path: string;
  readonly migration: MigrationStatus;
  close(): void;
}
