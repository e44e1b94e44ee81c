"""A container's log answer."""

from __future__ import annotations

from rest_framework import serializers

from pods.api.serializers.fields import UNTRUSTED, Closed, Text, Time


class LogAttemptSerializer(Closed):
    """The attempt the lines belong to, as Initscope stored it."""

    generation = serializers.IntegerField()
    number = serializers.IntegerField()
    known = serializers.BooleanField(
        help_text="False: one of a run of attempts the API never showed (no exit code, reason or time)."
    )
    exit_code = serializers.IntegerField(allow_null=True)
    reason = Text()
    finished_at = Time()


class PodLogSerializer(Closed):
    uid = serializers.CharField()
    cluster = serializers.CharField()
    namespace = serializers.CharField()
    pod = serializers.CharField(help_text="The Pod's name.")
    container = serializers.CharField()
    previous = serializers.BooleanField(
        help_text="The lines are of the attempt before the current one (asked with `previous` or `attempt`)."
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # as `source` above: a declared field
        choices=["live", "stored", "none"],
        help_text="`live` from the cluster, `stored`: the tail kept with that attempt (for the current one "
        "when it kept none: the newest attempt that did; `attempt` says which), `none`.",
    )
    reason = Text("Why the log is not live (empty when it is), in Initscope's words.")
    text = Text(UNTRUSTED)
    lines = serializers.IntegerField(help_text="How many lines `text` holds.")
    timestamps = serializers.BooleanField(
        help_text="The lines start with the kubelet's RFC 3339 time (asked for, and served live)."
    )
    same_as_current = serializers.BooleanField(
        help_text="For the previous attempt: its lines are exactly those served for the current one."
    )
    attempt = LogAttemptSerializer(
        allow_null=True,
        help_text="The attempt the lines belong to (`live`: the current or previous one as stored; "
        "`stored`: the one whose tail is served), or null when Initscope knows no attempt yet.",
    )
