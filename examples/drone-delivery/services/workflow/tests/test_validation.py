import unittest

from workflow_service.validation import MAX_WEIGHT_KG, ValidationError, validate_delivery_request

VALID = {
    "id": "d-1001",
    "owner": "contoso",
    "pickup": {"lat": 47.6205, "lon": -122.3493},
    "dropoff": {"lat": 47.6097, "lon": -122.3331},
    "packageInfo": {"size": "small", "weightKg": 1.5},
}


def with_(**changes):
    body = dict(VALID)
    body.update(changes)
    return body


class ValidateDeliveryRequestTest(unittest.TestCase):
    def test_accepts_a_complete_request_and_drops_unknown_fields(self):
        result = validate_delivery_request(with_(owner=" contoso ", extra=True))
        self.assertEqual(result, VALID)

    def test_accepts_range_boundaries(self):
        validate_delivery_request(
            with_(
                pickup={"lat": -90, "lon": -180},
                dropoff={"lat": 90, "lon": 180},
                packageInfo={"size": "large", "weightKg": MAX_WEIGHT_KG},
            )
        )

    def test_rejections_name_the_field(self):
        cases = [
            ("not an object", ["x"], "body must be a JSON object"),
            ("numeric id", with_(id=1), "id is required"),
            ("id with slash", with_(id="a/b"), "id is required"),
            ("blank owner", with_(owner="  "), "owner is required"),
            ("missing pickup", with_(pickup=None), "pickup is required"),
            ("latitude out of range", with_(pickup={"lat": -90.5, "lon": 0}), "pickup.lat must be"),
            ("boolean longitude", with_(dropoff={"lat": 0, "lon": True}), "dropoff.lon must be"),
            ("infinite latitude", with_(dropoff={"lat": float("inf"), "lon": 0}), "dropoff.lat must be"),
            ("missing packageInfo", with_(packageInfo=None), "packageInfo is required"),
            ("unknown size", with_(packageInfo={"size": "XL", "weightKg": 1}), "packageInfo.size must be one of"),
            ("negative weight", with_(packageInfo={"size": "small", "weightKg": -1}), "packageInfo.weightKg must be"),
            ("too heavy", with_(packageInfo={"size": "large", "weightKg": 30}), "packageInfo.weightKg must be"),
        ]
        for name, body, expected in cases:
            with self.subTest(name):
                with self.assertRaises(ValidationError) as caught:
                    validate_delivery_request(body)
                self.assertTrue(
                    any(e.startswith(expected) for e in caught.exception.errors),
                    f"{expected!r} not in {caught.exception.errors}",
                )

    def test_reports_every_problem_at_once(self):
        with self.assertRaises(ValidationError) as caught:
            validate_delivery_request({"id": 1})
        self.assertEqual(len(caught.exception.errors), 5)
        self.assertIn("owner", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
