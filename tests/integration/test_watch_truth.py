"""A real Celery worker watching kubesim over HTTP stores exactly the ground truth: every attempt once,
with the API's details, the deleted Pods as deleted, and each live Pod's kubectl STATUS."""

from __future__ import annotations

import pytest

from pods.models import Attempt, Cluster
from tests.services import assert_statuses, assert_truth, watching

pytestmark = [pytest.mark.integration, pytest.mark.redis]


@pytest.mark.parametrize(
    ("scenario", "seconds"),
    [("demo", 420), ("crash-loop", 400), ("sandbox-recreate", 200), ("delete-during-init", 60)],
)
def test_a_worker_stores_exactly_the_ground_truth(scenario, seconds, kubesim_cluster, celery_worker):
    sim = kubesim_cluster(scenario)
    celery_worker(env=sim.env, beat=True)
    watching(sim.name)
    sim.drive(seconds)
    assert_truth(sim)
    assert_statuses(sim)
    assert not Attempt.objects.filter(known=False).exists(), "every attempt was seen with its details"
    cluster = Cluster.objects.get(name=sim.name)
    assert cluster.watched
    assert cluster.cursors.filter(resource="pods").exclude(resource_version="").exists()
