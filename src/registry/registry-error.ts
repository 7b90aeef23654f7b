// A failed registry request: a SlipwayError that also carries what a caller
// may branch on (HTTP status, the registry's own error codes) and what it was
// about (registry, repository, reference).
import { SlipwayError, type ErrorCode, type SlipwayErrorOptions } from "../domain/errors.js";

export interface RegistryErrorDetails {
  registry: string;
  repository: string | undefined;
  reference: string | undefined;
  /** 0 when no answer came (connection failure). */
  status: number;
  /** The registry's error codes, e.g. MANIFEST_UNKNOWN, DENIED. */
  registryCodes: readonly string[];
}

export class RegistryError extends SlipwayError {
  readonly details: RegistryErrorDetails;

  constructor(code: ErrorCode, message: string, details: RegistryErrorDetails, options: SlipwayErrorOptions = {}) {
    super(code, message, options);
    this.details = details;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...this.details };
  }
}
