"""Fixtures of the hostile-input tests: kubesim clusters (tests/services.py)."""

from tests.services import kubesim_cluster  # noqa: F401 - a fixture, registered by import
