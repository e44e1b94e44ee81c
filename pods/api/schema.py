"""How the API's views are described in the OpenAPI schema (drf-spectacular).

`ApiSchema` is drf-spectacular's `AutoSchema` with one rule added: every object described by a
`serializers.Closed` serializer is closed (`additionalProperties: false`), so a validator rejects a field
the schema does not know. The error answers every endpoint shares are described here too.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from pods.api.serializers import Closed, ErrorSerializer


class ApiSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, Closed) or (
            isinstance(serializer, type) and issubclass(serializer, Closed)
        ):
            schema["additionalProperties"] = False
        return schema


NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No session and no valid token.")
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No Pod with this uid (in this cluster) that your grants let you see."
)
NO_LOGS = OpenApiResponse(ErrorSerializer, description="Your grants do not include this Pod's logs.")
BAD_REQUEST = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "description": "Each invalid query parameter with what is wrong with it.",
    },
    description="An invalid query parameter.",
)
