"""Time partitions of the history tables (pods.history): attempts by their Pod's creation, Events (about
Pods and about other kinds) by their first time.

Every database: the partition keys (`Attempt.pod_created_at`, `Event.partition_at`,
`RelatedEvent.partition_at`) are added, filled from the stored rows, and join each table's natural key.
PostgreSQL only: each table is recreated as a partitioned one (`pods.history.partitions.rebuild`: same
columns, constraint and index names, ids), with ranges from the retention back to a few ahead and a
DEFAULT partition for the rest. SQLite (the all-in-one demo) keeps plain tables.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # pods.history.keys.UNKNOWN_TIME, as of this migration


def fill_keys(apps, schema_editor):
    """Each attempt takes its Pod's creation, each Event its first time (UNKNOWN_TIME when unknown)."""
    Attempt = apps.get_model("pods", "Attempt")
    Pod = apps.get_model("pods", "Pod")
    created = Pod.objects.filter(pk=OuterRef("pod_id"), created_at__isnull=False).values("created_at")[:1]
    Attempt.objects.update(
        pod_created_at=Coalesce(
            Subquery(created), models.Value(UNKNOWN_TIME), output_field=models.DateTimeField()
        )
    )
    for name in ("Event", "RelatedEvent"):
        apps.get_model("pods", name).objects.filter(first_at__isnull=False).update(
            partition_at=models.F("first_at")
        )


def partition(apps, schema_editor):
    from datetime import timedelta

    from pods.history import partitions

    connection = schema_editor.connection
    if not partitions.supported(connection):
        return
    now = datetime.now(UTC)
    for spec in partitions.TABLES:
        since = now - timedelta(days=getattr(settings, spec.retention))
        partitions.rebuild(connection, spec, partitioned=True, since=since, now=now)


def unpartition(apps, schema_editor):
    from pods.history import partitions

    connection = schema_editor.connection
    if not partitions.supported(connection):
        return
    for spec in partitions.TABLES:
        if partitions.is_partitioned(connection, spec.table):
            partitions.rebuild(connection, spec, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0006_rollups"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="pod_created_at",
            field=models.DateTimeField(default=UNKNOWN_TIME),
        ),
        migrations.AddField(
            model_name="event",
            name="partition_at",
            field=models.DateTimeField(default=UNKNOWN_TIME),
        ),
        migrations.AddField(
            model_name="relatedevent",
            name="partition_at",
            field=models.DateTimeField(default=UNKNOWN_TIME),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="attempt", name="attempt_unique_container_gen_number"),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                fields=("container", "generation", "number", "pod_created_at"),
                name="attempt_unique_container_gen_number",
            ),
        ),
        migrations.RemoveConstraint(model_name="event", name="event_unique_cluster_uid"),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("cluster", "uid", "partition_at"), name="event_unique_cluster_uid"
            ),
        ),
        migrations.RemoveConstraint(model_name="relatedevent", name="related_event_unique_cluster_uid"),
        migrations.AddConstraint(
            model_name="relatedevent",
            constraint=models.UniqueConstraint(
                fields=("cluster", "uid", "partition_at"), name="related_event_unique_cluster_uid"
            ),
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(
                condition=models.Q(("log_tail", ""), _negated=True),
                fields=["finished_at"],
                name="attempt_log_tail",
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
