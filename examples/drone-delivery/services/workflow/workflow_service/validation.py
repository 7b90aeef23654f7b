"""Validation of the delivery requests the workflow receives.

Ingestion validates requests already; the workflow checks again because it is
a service of its own and must not trust its callers.
"""

import math
import re

PACKAGE_SIZES = ("small", "medium", "large")
MAX_WEIGHT_KG = 25
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ValidationError(ValueError):
    """A request was rejected; `errors` lists every problem found."""

    def __init__(self, errors):
        super().__init__("invalid delivery request: " + "; ".join(errors))
        self.errors = list(errors)


def _is_number(value):
    # bool is a subclass of int; true/false are not coordinates.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _location(name, value, errors):
    if not isinstance(value, dict):
        errors.append(f"{name} is required: an object {{lat, lon}}")
        return None
    lat, lon = value.get("lat"), value.get("lon")
    ok = True
    if not _is_number(lat) or not -90 <= lat <= 90:
        errors.append(f"{name}.lat must be a number between -90 and 90")
        ok = False
    if not _is_number(lon) or not -180 <= lon <= 180:
        errors.append(f"{name}.lon must be a number between -180 and 180")
        ok = False
    return {"lat": lat, "lon": lon} if ok else None


def validate_delivery_request(body):
    """Return a normalized copy of `body`, or raise ValidationError."""
    if not isinstance(body, dict):
        raise ValidationError(["body must be a JSON object"])
    errors = []
    delivery_id = body.get("id")
    if not isinstance(delivery_id, str) or not _ID_PATTERN.match(delivery_id):
        errors.append("id is required: a string of 1-64 letters, digits, '.', '_' or '-'")
    owner = body.get("owner")
    if not isinstance(owner, str) or not owner.strip():
        errors.append("owner is required: a non-empty string")
    pickup = _location("pickup", body.get("pickup"), errors)
    dropoff = _location("dropoff", body.get("dropoff"), errors)
    info = body.get("packageInfo")
    if not isinstance(info, dict):
        errors.append("packageInfo is required: an object {size, weightKg}")
    else:
        if info.get("size") not in PACKAGE_SIZES:
            errors.append("packageInfo.size must be one of " + ", ".join(PACKAGE_SIZES))
        weight = info.get("weightKg")
        if not _is_number(weight) or not 0 < weight <= MAX_WEIGHT_KG:
            errors.append(f"packageInfo.weightKg must be a number greater than 0 and at most {MAX_WEIGHT_KG}")
    if errors:
        raise ValidationError(errors)
    return {
        "id": delivery_id,
        "owner": owner.strip(),
        "pickup": pickup,
        "dropoff": dropoff,
        "packageInfo": {"size": info["size"], "weightKg": info["weightKg"]},
    }
