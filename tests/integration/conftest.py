"""Integration fixtures with real services: kubesim clusters and Celery worker processes.

They live in `tests/services.py` (usable from any test directory: import them into its conftest the
same way). `pytest_plugins` would be the usual way, but pytest only allows it in the top-level conftest.
"""

from tests.api_schema import anonymous, api, met, openapi, schema, without_logs  # noqa: F401 - fixtures, registered by import
from tests.services import (  # noqa: F401 - fixtures and the report hook, registered by import
    celery_worker,
    kubesim_cluster,
    pytest_runtest_makereport,
    redis_clean,
)
