"""The watch health of each namespace group of a split cluster (INITSCOPE_CLUSTER_NAMESPACE_GROUPS)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("pods", "0011_report_samples")]

    operations = [
        migrations.CreateModel(
            name="WatchGroup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=63)),
                ("watch_holder", models.CharField(blank=True, default="", max_length=200)),
                ("watch_heartbeat_at", models.DateTimeField(blank=True, null=True)),
                ("watch_failures", models.IntegerField(default=0)),
                ("watch_retry_at", models.DateTimeField(blank=True, null=True)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="watch_groups",
                        to="pods.cluster",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("cluster", "name"), name="watch_group_unique_name")
                ],
            },
        ),
    ]
