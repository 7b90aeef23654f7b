// Kubernetes resource quantities, read the way the API server reads them, so
// "128Mi" limits a container on Docker exactly as it limits a pod.
import { SlipwayError } from "./errors.js";

const binaryUnits = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n } as const;
// Kubernetes spells kilo "k"; the configuration also allows "K", as Docker does.
const decimalUnits = { "": 1n, k: 10n ** 3n, K: 10n ** 3n, M: 10n ** 6n, G: 10n ** 9n, T: 10n ** 12n, P: 10n ** 15n, E: 10n ** 18n } as const;
const units: Readonly<Record<string, bigint>> = { ...binaryUnits, ...decimalUnits };

const memoryQuantity = /^(\d+)(?:\.(\d+))?([A-Za-z]*)$/;

/**
 * "128Mi" → 134217728 bytes; "500M" → 500000000; "1.5Gi" → 1610612736.
 * Fractions round up to a whole byte, as Kubernetes rounds quantities.
 * Computed in integers, so "0.3G" is exactly 300000000 and not one more.
 */
export function parseMemoryQuantity(text: string): number {
  const match = memoryQuantity.exec(text.trim());
  const unit = units[match?.[3] ?? "?"];
  if (match === null || unit === undefined) {
    const milli = /^\d+(\.\d+)?m$/.test(text.trim()) ? ` ("m" is milli: that is a thousandth of a byte; did you mean "Mi" or "M"?)` : "";
    throw new SlipwayError("CONFIG_INVALID", `${JSON.stringify(text)} is not a memory quantity${milli}`, {
      hint: 'write a number with an optional unit: "128Mi", "1Gi", "500M", "1.5Gi" (Ki Mi Gi Ti Pi Ei are powers of 1024; k M G T P E powers of 1000)',
    });
  }
  const fraction = match[2] ?? "";
  const scaled = BigInt(match[1] + fraction) * unit;
  const divisor = 10n ** BigInt(fraction.length);
  const bytes = (scaled + divisor - 1n) / divisor;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new SlipwayError("CONFIG_INVALID", `${JSON.stringify(text)} is more memory than any machine has`);
  return Number(bytes);
}

/** CPUs (0.5 = Kubernetes "500m") as Docker's NanoCpus. */
export function nanoCpus(cpus: number): number {
  if (!Number.isFinite(cpus) || cpus <= 0) throw new SlipwayError("CONFIG_INVALID", `${cpus} is not a CPU amount; use a positive number such as 0.5 or 2`);
  return Math.round(cpus * 1e9);
}
