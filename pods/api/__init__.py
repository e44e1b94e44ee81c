"""The JSON API under /api/v1/: thin DRF views over `pods.selectors` and `pods.reports`, and its schema.

- `serializers`: the one description of every answer's shape; the OpenAPI schema is generated from it
  (`schema`: every object closed) and docs/api.md's reference is rendered from that (`reference`).
- `views`, `logs`, `clusters`, `reports`, `report_rows`, `resources`, `compare`, `incident`: the
  endpoints, by subject; `urls` routes them.
"""
