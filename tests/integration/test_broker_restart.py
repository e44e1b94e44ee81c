"""A worker keeps running through a Redis restart while it holds an unacknowledged message (found by `make
soak`: at each Redis restart every worker exited with "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')"; dashboard/broker.py).

A worker holds a message unacknowledged while a task waits for its countdown (a watch re-enqueued after a
back-off) or runs with late acknowledgement. Here it waits for a countdown when its private Redis is
killed and started again, empty: the worker reconnects and runs the next task.
"""

from __future__ import annotations

import time

import pytest
from celery import Celery
from django.conf import settings

from tests.services import wait_until
from tests.soak.runner import PrivateRedis

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def test_a_worker_holding_an_unacked_task_survives_a_redis_restart(tmp_path, celery_worker):
    assert settings.CELERY_BROKER_TRANSPORT == "dashboard.broker:Transport"
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        worker = celery_worker(env={"REDIS_URL": server.url}, pool="threads", name="survivor")
        sender = Celery("probe", broker=server.url, set_as_current=False)
        sender.send_task("pods.tasks.watch_cluster", args=["later"], countdown=600, queue="watch")
        assert wait_until(lambda: "watch_cluster" in worker.log() and "received" in worker.log(), timeout=20)

        server.restart()
        time.sleep(3)  # the worker notices the lost connection and reconnects
        sender = Celery("probe", broker=server.url, set_as_current=False)
        sender.send_task("pods.tasks.watch_cluster", args=["now"], queue="watch")
        ran = wait_until(lambda: "watch of now ended" in worker.log() or not worker.alive, timeout=30)
        log = worker.log()
        assert "Unrecoverable error" not in log, log[-4000:]
        assert worker.alive and ran and "watch of now ended" in log
    finally:
        server.kill()
