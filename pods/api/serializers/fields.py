"""The building blocks of every shape: closed objects, times, strings, the error body."""

from __future__ import annotations

from rest_framework import serializers


# A JSON object with exactly the fields declared (the schema says `additionalProperties: false`). No
# docstring on purpose: drf-spectacular would give it to every subclass without one as its description.
class Closed(serializers.Serializer):
    pass


def Time(help_text: str = "", **kw) -> serializers.DateTimeField:  # noqa: N802 - reads like a field class
    """An RFC 3339 UTC time (`2024-05-01T10:00:00Z`), or null when unknown."""
    return serializers.DateTimeField(allow_null=True, help_text=help_text, **kw)


def Text(help_text: str = "", **kw) -> serializers.CharField:  # noqa: N802
    """A string that may be empty."""
    return serializers.CharField(allow_blank=True, help_text=help_text, **kw)


UNTRUSTED = "Untrusted text from the cluster."


class OwnerSerializer(Closed):
    kind = serializers.CharField(help_text="`Deployment`, `StatefulSet`, `Job`, `CronJob`, ...")
    name = serializers.CharField()


class ErrorSerializer(Closed):
    detail = serializers.CharField()
