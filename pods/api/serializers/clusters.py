"""Clusters and the health of their watches."""

from __future__ import annotations

from rest_framework import serializers

from pods.api.serializers.fields import Closed, Text, Time


class WatchStreamSerializer(Closed):
    """One list/watch stream of a cluster (Pods or Events, of one namespace or of all)."""

    resource = serializers.CharField(help_text="`pods` or `events`.")
    namespace = Text("Empty: all namespaces.")
    state = serializers.ChoiceField(
        choices=["ok", "error", "pending"],
        help_text="`error`: its newest error (`last_error`) is newer than its last success; `ok`; "
        "`pending`: the API has not answered it yet.",
    )
    resource_version = Text("The cursor: the newest resourceVersion handled.")
    listed_at = Time("The last full list.")
    last_event_at = Time()
    last_ok_at = Time("The last time the stream heard from the API server.")
    lag_seconds = serializers.FloatField(allow_null=True, help_text="Seconds since `last_ok_at`.")
    last_error = Text()
    last_error_at = Time()


class WatchGroupSerializer(Closed):
    """One namespace group of a cluster split by INITSCOPE_CLUSTER_NAMESPACE_GROUPS: its own watch."""

    name = serializers.CharField(help_text="The group's name.")
    namespaces = serializers.ListField(child=serializers.CharField(), help_text="The group's namespaces.")
    state = serializers.ChoiceField(
        choices=["watching", "degraded", "backing-off", "error", "stopped"],
        help_text="The group's watch, judged as a whole cluster's `state` is.",
    )
    holder = Text("The worker holding the group's watch lock.")
    heartbeat_at = Time()
    last_event_at = Time()
    last_ok_at = Time()
    lag_seconds = serializers.FloatField(allow_null=True)
    last_error = Text("The group's newest stream error.")
    last_error_at = Time()
    failures = serializers.IntegerField()
    retry_at = Time()
    stale = serializers.BooleanField(help_text="The group's data is not current (the cluster's rule).")
    stale_reason = Text()
    known_at = Time()
    streams = WatchStreamSerializer(many=True)


class ClusterHealthSerializer(Closed):
    name = serializers.CharField()
    configured = serializers.BooleanField(help_text="In INITSCOPE_CLUSTERS (else: watched once, not now).")
    namespaces = serializers.ListField(
        child=serializers.CharField(), help_text="Watched namespaces; empty: all of them."
    )
    state = serializers.ChoiceField(
        # The watch health read model writes these as literals; it has no constant to import yet.
        choices=["watching", "degraded", "backing-off", "error", "stopped", "not-configured"],
        help_text="`watching`: a holder renewed its lock in time; `degraded`: watching, but some streams "
        "fail (see `streams`: e.g. a namespace whose RBAC refuses the watch, retried on its own while the "
        "others are watched); `error`: every stream's newest error is newer than its last success (or the "
        "watch is not running); `backing-off`: waiting to retry; `stopped`; `not-configured`: no "
        "process configures it here and no watcher keeps it alive.",
    )
    pods = serializers.IntegerField(help_text="Its Pods that are not deleted.")
    stuck = serializers.IntegerField(help_text="How many of those are stuck.")
    holder = Text("The worker holding the cluster's watch lock.")
    heartbeat_at = Time()
    last_event_at = Time()
    last_ok_at = Time()
    lag_seconds = serializers.FloatField(
        allow_null=True, help_text="Seconds since the stalest stream last heard from the API server."
    )
    last_error = Text("The newest stream error.")
    last_error_at = Time()
    failures = serializers.IntegerField(
        help_text="Failed attempts in a row: failed runs, plus the failed (re)connects in a row of the "
        "stream failing longest while the watch runs (a refused connection counts); 0 once every stream "
        "succeeds."
    )
    retry_at = Time("When the next try may start (while backing off).")
    stale = serializers.BooleanField(
        help_text="The cluster's data is not current: a stream fails, the watch is not running, a stream "
        "never connected, or a stream has not heard from the API server within INITSCOPE_STALE_AFTER_SECONDS "
        "(default 120). The pages show the same verdict."
    )
    stale_reason = Text("Why it is stale (empty when current).")
    known_at = Time(
        "The data is known up to here: the stalest stream's last success (null if one never had one)."
    )
    streams = WatchStreamSerializer(many=True)
    groups = WatchGroupSerializer(
        many=True,
        help_text="A cluster split into namespace groups (INITSCOPE_CLUSTER_NAMESPACE_GROUPS): each group's "
        "own watch. The cluster's `state` is the groups' when they agree, else the worst, or `degraded` "
        "while some group is watched; it is `stale` when any group is, `holder` lists every group's "
        "holder, `heartbeat_at` is the oldest, `failures` the most. Empty for a cluster watched whole.",
    )


class ClusterListSerializer(Closed):
    results = ClusterHealthSerializer(many=True)
