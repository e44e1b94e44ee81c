"""Indexes for queries over a large history (B4 of `make bench`, docs/performance.md): the Pod list read
rank by rank in its order (`pods.selectors.pods.RankedPods`: the failed Pods and the rest, newest first)
and a workload's newest Pods (the Pod page's siblings); the attempts by their end (an hour's rollup,
`pods.reports.rollup_build`). Written by hand."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pods", "0007_partitions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pod",
            index=models.Index(
                models.OrderBy(
                    django.db.models.functions.comparison.Coalesce("created_at", "updated_at"),
                    descending=True,
                ),
                "uid",
                condition=models.Q(seen=True),
                name="pod_list_order",
            ),
        ),
        migrations.AddIndex(
            model_name="pod",
            index=models.Index(
                models.OrderBy(
                    django.db.models.functions.comparison.Coalesce("created_at", "updated_at"),
                    descending=True,
                ),
                "uid",
                condition=models.Q(failed=True),
                name="pod_failed_order",
            ),
        ),
        migrations.AddIndex(
            model_name="pod",
            index=models.Index(
                models.F("cluster"),
                models.F("namespace"),
                models.F("owner_kind"),
                models.F("owner_name"),
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="pod_workload_newest",
            ),
        ),
        # The attempts an hour's rollup places by their end (pods.reports.rollup_build._candidate_pods).
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["finished_at"], name="attempt_finished"),
        ),
    ]
