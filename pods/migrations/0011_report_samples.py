"""The raw init-containers report's samples (B4 of `make bench`, docs/reports.md "Reports over raw rows,
fast"): `ReportSample`, per cluster, hour or day and report key, the hour's attempts in the layout the
report merges; `ReportSampleCover`, from which hour a cluster's samples hold what raw rows hold. Empty
here: the rollup task fills them (`pods.reports.sample_rows`), and a report reads raw rows until then.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0010_pod_counts_controller"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSampleCover",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("since", models.DateTimeField()),
                ("version", models.IntegerField()),
                (
                    "cluster",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pods.cluster"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ReportSample",
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
                ("container", models.CharField(max_length=253)),
                ("kind", models.CharField(max_length=8)),
                ("attempts", models.BigIntegerField(default=0)),
                ("finished", models.BigIntegerField(default=0)),
                ("failed", models.BigIntegerField(default=0)),
                ("durations", models.BinaryField(default=b"")),
                ("pods", models.BinaryField(default=b"")),
                ("pulls", models.BinaryField(default=b"")),
                ("waits", models.BinaryField(default=b"")),
                ("present", models.BinaryField(default=b"")),
                ("reasons", models.JSONField(default=list)),
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
                        name="report_sample_unique_key",
                    )
                ],
            },
        ),
    ]
