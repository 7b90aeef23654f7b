// Validation of incoming delivery requests. Pure: no I/O, so it is tested on its own.

export const PACKAGE_SIZES = ["small", "medium", "large"] as const;
export type PackageSize = (typeof PACKAGE_SIZES)[number];

/** Heaviest package a drone carries; the package service enforces the same limit. */
export const MAX_WEIGHT_KG = 25;

/** Delivery ids end up in URL paths (PUT /deliveries/{id}), so they are kept URL-safe. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface Location {
  lat: number;
  lon: number;
}

export interface DeliveryRequest {
  id: string;
  owner: string;
  pickup: Location;
  dropoff: Location;
  packageInfo: {
    size: PackageSize;
    weightKg: number;
  };
}

export type ValidationResult =
  | { ok: true; value: DeliveryRequest }
  | { ok: false; errors: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function checkLocation(name: string, value: unknown, errors: string[]): Location | undefined {
  if (!isRecord(value)) {
    errors.push(`${name} is required: an object {lat, lon}`);
    return undefined;
  }
  const { lat, lon } = value;
  let ok = true;
  if (!isFiniteNumber(lat) || lat < -90 || lat > 90) {
    errors.push(`${name}.lat must be a number between -90 and 90`);
    ok = false;
  }
  if (!isFiniteNumber(lon) || lon < -180 || lon > 180) {
    errors.push(`${name}.lon must be a number between -180 and 180`);
    ok = false;
  }
  return ok ? { lat: lat as number, lon: lon as number } : undefined;
}

/**
 * Checks a parsed JSON body and returns either a normalized request (unknown
 * fields dropped) or every problem found, each naming the field at fault.
 */
export function validateDeliveryRequest(input: unknown): ValidationResult {
  if (!isRecord(input)) {
    return { ok: false, errors: ["body must be a JSON object"] };
  }
  const errors: string[] = [];

  const { id, owner } = input;
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    errors.push("id is required: a string of 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)");
  }
  if (typeof owner !== "string" || owner.trim() === "") {
    errors.push("owner is required: a non-empty string");
  }

  const pickup = checkLocation("pickup", input.pickup, errors);
  const dropoff = checkLocation("dropoff", input.dropoff, errors);

  let packageInfo: DeliveryRequest["packageInfo"] | undefined;
  if (!isRecord(input.packageInfo)) {
    errors.push("packageInfo is required: an object {size, weightKg}");
  } else {
    const { size, weightKg } = input.packageInfo;
    const sizeOk = typeof size === "string" && (PACKAGE_SIZES as readonly string[]).includes(size);
    if (!sizeOk) {
      errors.push(`packageInfo.size must be one of ${PACKAGE_SIZES.join(", ")}`);
    }
    const weightOk = isFiniteNumber(weightKg) && weightKg > 0 && weightKg <= MAX_WEIGHT_KG;
    if (!weightOk) {
      errors.push(`packageInfo.weightKg must be a number greater than 0 and at most ${MAX_WEIGHT_KG}`);
    }
    if (sizeOk && weightOk) {
      packageInfo = { size: size as PackageSize, weightKg: weightKg as number };
    }
  }

  if (errors.length > 0 || pickup === undefined || dropoff === undefined || packageInfo === undefined) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    value: { id: id as string, owner: (owner as string).trim(), pickup, dropoff, packageInfo },
  };
}
