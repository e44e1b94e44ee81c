"""The API token's entry in the OpenAPI document (drf-spectacular finds extensions once imported: by
accounts.apps)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A read-only API token (`isc_…`) from the Tokens page or `manage.py tokens "
            "create`; `Authorization: Token <key>` is accepted too.",
        }
