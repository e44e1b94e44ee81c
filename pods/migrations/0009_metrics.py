# Hand-written: the Prometheus metrics' persistent totals (pods.signals.metric_store, docs/signals.md).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0008_history_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricHour",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("cells", models.JSONField(default=list)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("cluster", "hour"), name="metric_hour_unique")],
            },
        ),
        migrations.CreateModel(
            name="MetricTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("series", models.TextField()),
                ("value", models.FloatField(default=0.0)),
                ("net", models.FloatField(default=0.0)),
                (
                    "cluster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("cluster", "series"), name="metric_total_unique")],
            },
        ),
        migrations.CreateModel(
            name="MetricWorkload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("namespace", models.CharField(blank=True, default="", max_length=253)),
                ("kind", models.CharField(blank=True, default="", max_length=63)),
                ("name", models.CharField(blank=True, default="", max_length=253)),
                ("admitted", models.BooleanField()),
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
                        fields=("cluster", "namespace", "kind", "name"), name="metric_workload_unique"
                    )
                ],
            },
        ),
    ]
