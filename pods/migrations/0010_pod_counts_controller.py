"""The overview's counts and the Pod page's siblings without reading every Pod (B4 of `make bench`,
docs/performance.md). Written by hand.

- `Pod.controller_kind` / `controller_name`: the Pod's own controller, projected by ingest; existing rows
  are filled from their stored state here.
- `PodStatusCount`: seen Pods per (cluster, namespace, STATUS, deleted). On PostgreSQL, three statement
  triggers on `pods_pod` (insert, update, delete; each with its transition tables) keep it exact in the
  writer's own transaction, and a truncate trigger empties it; existing rows are counted here. SQLite
  (the demo) keeps no counts: the overview counts its rows there.
"""

import django.db.models.deletion
from django.db import migrations, models

# One statement's change: +1 per new row, -1 per old row, summed per key; only keys that changed.
_CHANGE = """
    SELECT cluster_id, namespace, status, deleted, sum(n) AS n FROM (
        {parts}
    ) AS change GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
"""
_NEW = (
    "SELECT cluster_id, namespace, status, deleted_at IS NOT NULL AS deleted, 1 AS n FROM new_rows WHERE seen"
)
_OLD = "SELECT cluster_id, namespace, status, deleted_at IS NOT NULL AS deleted, -1 AS n FROM old_rows WHERE seen"

# Keys that gain rows may be new: insert or add, in key order (one lock order for every writer).
_ADD = """
    INSERT INTO pods_podstatuscount (cluster_id, namespace, status, deleted, pods)
    SELECT cluster_id, namespace, status, deleted, n FROM ({change}) AS c ORDER BY 1, 2, 3, 4
    ON CONFLICT (cluster_id, namespace, status, deleted)
    DO UPDATE SET pods = pods_podstatuscount.pods + EXCLUDED.pods
"""
# Keys that only lose rows exist already (they were counted): update, never insert (a cluster being
# deleted loses its counts by cascade first, and must not get them back).
_SUBTRACT = """
    UPDATE pods_podstatuscount AS t SET pods = t.pods + c.n FROM ({change}) AS c
    WHERE t.cluster_id = c.cluster_id AND t.namespace = c.namespace AND t.status = c.status
      AND t.deleted = c.deleted
"""

FORWARD = f"""
CREATE FUNCTION pods_pod_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ADD.format(change=_CHANGE.format(parts=_NEW))};
    RETURN NULL;
END $$;

CREATE FUNCTION pods_pod_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ADD.format(change=_CHANGE.format(parts=_NEW + " UNION ALL " + _OLD) + " AND sum(n) > 0")};
    {_SUBTRACT.format(change=_CHANGE.format(parts=_NEW + " UNION ALL " + _OLD) + " AND sum(n) < 0")};
    RETURN NULL;
END $$;

CREATE FUNCTION pods_pod_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_SUBTRACT.format(change=_CHANGE.format(parts=_OLD))};
    RETURN NULL;
END $$;

CREATE FUNCTION pods_pod_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM pods_podstatuscount;
    RETURN NULL;
END $$;

CREATE TRIGGER pods_pod_count_insert AFTER INSERT ON pods_pod
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pods_pod_count_insert();
CREATE TRIGGER pods_pod_count_update AFTER UPDATE ON pods_pod
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pods_pod_count_update();
CREATE TRIGGER pods_pod_count_delete AFTER DELETE ON pods_pod
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pods_pod_count_delete();
CREATE TRIGGER pods_pod_count_truncate AFTER TRUNCATE ON pods_pod
    FOR EACH STATEMENT EXECUTE FUNCTION pods_pod_count_truncate();

INSERT INTO pods_podstatuscount (cluster_id, namespace, status, deleted, pods)
SELECT cluster_id, namespace, status, deleted_at IS NOT NULL, count(*) FROM pods_pod WHERE seen
GROUP BY 1, 2, 3, 4;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS pods_pod_count_insert ON pods_pod;
DROP TRIGGER IF EXISTS pods_pod_count_update ON pods_pod;
DROP TRIGGER IF EXISTS pods_pod_count_delete ON pods_pod;
DROP TRIGGER IF EXISTS pods_pod_count_truncate ON pods_pod;
DROP FUNCTION IF EXISTS pods_pod_count_insert();
DROP FUNCTION IF EXISTS pods_pod_count_update();
DROP FUNCTION IF EXISTS pods_pod_count_delete();
DROP FUNCTION IF EXISTS pods_pod_count_truncate();
"""


def _counts_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def _counts_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


def _fill_controllers(apps, schema_editor):
    """Existing Pods' controller from their stored state, in batches."""
    from pods.timeline.codec import decode_state

    Pod = apps.get_model("pods", "Pod")
    pending = Pod.objects.exclude(owner_kind="").filter(controller_kind="").order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last).only("pk", "state")[:2000])
        if not batch:
            return
        last = batch[-1].pk
        changed = []
        for pod in batch:
            try:
                controller = decode_state(bytes(pod.state)).controller
            except Exception:  # noqa: BLE001 - a state this code cannot read keeps no controller
                continue
            if controller is not None:
                pod.controller_kind = controller.kind[:63]
                pod.controller_name = controller.name[:253]
                changed.append(pod)
        Pod.objects.bulk_update(changed, ["controller_kind", "controller_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0009_metrics"),
    ]

    operations = [
        migrations.AddField(
            model_name="pod",
            name="controller_kind",
            field=models.CharField(blank=True, default="", max_length=63),
        ),
        migrations.AddField(
            model_name="pod",
            name="controller_name",
            field=models.CharField(blank=True, default="", max_length=253),
        ),
        migrations.CreateModel(
            name="PodStatusCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("namespace", models.CharField(max_length=253)),
                ("status", models.CharField(max_length=128)),
                ("deleted", models.BooleanField()),
                ("pods", models.BigIntegerField(default=0)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cluster", "namespace", "status", "deleted"), name="pod_status_count_key"
                    )
                ],
            },
        ),
        migrations.RunPython(_fill_controllers, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(_counts_forward, _counts_backward),
    ]
