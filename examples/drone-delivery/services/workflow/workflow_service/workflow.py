"""The delivery workflow: create the package, then schedule the delivery."""

from urllib.parse import quote


def package_id_for(delivery_id):
    """Each delivery carries one package; deriving its id makes retries idempotent."""
    return f"pkg-{delivery_id}"


class DeliveryWorkflow:
    def __init__(self, packages, deliveries):
        """`packages` and `deliveries` are ServiceClient-like objects."""
        self.packages = packages
        self.deliveries = deliveries

    def start(self, request, request_id=None):
        """Run the workflow for a validated request; raise UpstreamError on failure.

        A retried request is safe: the package service answers 200 for a package
        it already holds, and PUT /deliveries/{id} replaces the schedule.
        """
        _, package = self.packages.call(
            "POST",
            "/packages",
            {
                "id": package_id_for(request["id"]),
                "owner": request["owner"],
                "size": request["packageInfo"]["size"],
                "weightKg": request["packageInfo"]["weightKg"],
            },
            request_id=request_id,
        )
        _, delivery = self.deliveries.call(
            "PUT",
            "/deliveries/" + quote(request["id"], safe=""),
            {
                "owner": request["owner"],
                "pickup": request["pickup"],
                "dropoff": request["dropoff"],
                "packageId": package.get("id") if isinstance(package, dict) else package_id_for(request["id"]),
            },
            request_id=request_id,
        )
        return {
            "deliveryId": request["id"],
            "status": delivery.get("status", "scheduled") if isinstance(delivery, dict) else "scheduled",
            "package": package,
            "delivery": delivery,
        }
