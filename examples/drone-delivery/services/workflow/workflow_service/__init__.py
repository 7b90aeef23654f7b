"""Workflow service of the drone delivery example.

Turns an accepted delivery request into a package (package service) and a
scheduled delivery (delivery service). Standard library only.
"""

SERVICE_NAME = "workflow"
