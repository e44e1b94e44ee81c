"""The hourly rollups of the reports (pods.reports.rollups) and the marks of the hours to recompute."""

import django.db.models.deletion
from django.db import migrations, models

import pods.models


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0005_list_ready_failed"),
    ]

    operations = [
        migrations.CreateModel(
            name="InitContainerRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("span_hours", models.SmallIntegerField(default=1)),
                ("pods", models.IntegerField(default=0)),
                ("attempts", models.IntegerField(default=0)),
                ("finished", models.IntegerField(default=0)),
                ("failed", models.IntegerField(default=0)),
                ("duration_count", models.IntegerField(default=0)),
                ("duration_sum", models.FloatField(default=0.0)),
                ("duration_max", models.FloatField(blank=True, null=True)),
                ("duration_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("pull_count", models.IntegerField(default=0)),
                ("pull_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("queue_wait_count", models.IntegerField(default=0)),
                ("queue_wait_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("already_present", models.IntegerField(default=0)),
                ("carried_pods", models.JSONField(default=list)),
                ("carried_pulls", models.JSONField(default=list)),
                ("carried_from", models.IntegerField(blank=True, null=True)),
                ("namespace", models.CharField(blank=True, default="", max_length=253)),
                ("workload_kind", models.CharField(blank=True, default="", max_length=63)),
                ("workload", models.CharField(blank=True, default="", max_length=253)),
                ("container", models.CharField(max_length=253)),
                ("kind", models.CharField(max_length=8)),
                ("reasons", models.JSONField(default=list)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["hour"], name="init_rollup_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "cluster",
                            "hour",
                            "span_hours",
                            "namespace",
                            "workload_kind",
                            "workload",
                            "container",
                            "kind",
                        ),
                        name="init_rollup_unique_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="NodeRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("span_hours", models.SmallIntegerField(default=1)),
                ("pods", models.IntegerField(default=0)),
                ("attempts", models.IntegerField(default=0)),
                ("finished", models.IntegerField(default=0)),
                ("failed", models.IntegerField(default=0)),
                ("duration_count", models.IntegerField(default=0)),
                ("duration_sum", models.FloatField(default=0.0)),
                ("duration_max", models.FloatField(blank=True, null=True)),
                ("duration_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("pull_count", models.IntegerField(default=0)),
                ("pull_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("queue_wait_count", models.IntegerField(default=0)),
                ("queue_wait_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("already_present", models.IntegerField(default=0)),
                ("carried_pods", models.JSONField(default=list)),
                ("carried_pulls", models.JSONField(default=list)),
                ("carried_from", models.IntegerField(blank=True, null=True)),
                ("node", models.CharField(blank=True, default="", max_length=253)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["hour"], name="node_rollup_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cluster", "hour", "span_hours", "node"), name="node_rollup_unique_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PodStartupRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("span_hours", models.SmallIntegerField(default=1)),
                ("namespace", models.CharField(blank=True, default="", max_length=253)),
                ("workload_kind", models.CharField(blank=True, default="", max_length=63)),
                ("workload", models.CharField(blank=True, default="", max_length=253)),
                ("pods", models.IntegerField(default=0)),
                ("scheduled", models.IntegerField(default=0)),
                ("scheduled_max", models.FloatField(blank=True, null=True)),
                ("scheduled_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("initialized", models.IntegerField(default=0)),
                ("initialized_max", models.FloatField(blank=True, null=True)),
                ("initialized_histogram", pods.models.HistogramField(default=b"", editable=True)),
                ("ready", models.IntegerField(default=0)),
                ("ready_max", models.FloatField(blank=True, null=True)),
                ("ready_histogram", pods.models.HistogramField(default=b"", editable=True)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["hour"], name="pod_startup_rollup_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cluster", "hour", "span_hours", "namespace", "workload_kind", "workload"),
                        name="pod_startup_rollup_unique_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RollupMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("token", models.UUIDField()),
                ("marked_at", models.DateTimeField()),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rollup_marks",
                        to="pods.cluster",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["hour"], name="rollup_mark_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cluster", "hour"), name="rollup_mark_unique_cluster_hour"
                    )
                ],
            },
        ),
    ]
