"""Which startups ingest sends as traces, once, after commit, and that nothing about it can break ingest
(pods.signals.export through `ingest_batch`, the task run in-process, a local OTLP/HTTP receiver)."""

from __future__ import annotations

import itertools

import pytest

from dashboard.celery import app
from pods import tasks
from pods.ingest import WatchItem, ingest_batch
from pods.models import Cluster, Pod
from pods.signals import export, traces
from pods.signals.traces import trace_id
from tests.builders import UID, at, healthy_sequence, initialized_conditions, pod, running, terminated, watch
from tests.otlp import otlp_receiver  # noqa: F401 - a fixture
from tests.services import redis_clean  # noqa: F401 - a fixture (trace claims live in Redis)

pytestmark = [pytest.mark.django_db, pytest.mark.redis]
_names = itertools.count()


@pytest.fixture
def eager():
    """Celery tasks run in-process, in the caller."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def traced(settings, otlp_receiver, redis_clean, eager):  # noqa: F811
    """Traces on, sent to the local receiver by the task run in-process as each batch commits."""
    settings.INITSCOPE_TRACES = True
    settings.INITSCOPE_TRACES_ENDPOINT = f"{otlp_receiver.url}/v1/traces"
    settings.OTEL_EXPORTER_OTLP_HEADERS = "Authorization=Bearer%20s3cret,x-scope-orgid=initscope"
    return otlp_receiver


def _cluster(*, watched: bool = True) -> Cluster:
    return Cluster.objects.create(name=f"traced-{next(_names)}", watched=watched)


def _ingest(cluster: Cluster, *objects: dict, capture) -> None:
    """Each watch event its own batch, committed (its on-commit callbacks run)."""
    for obj in objects:
        with capture(execute=True):
            ingest_batch(cluster=cluster, items=[WatchItem("pod", obj["object"], obj["type"])])


def _ready_again(rv: int, ready_at: float) -> dict:
    """The healthy Pod's last object again, Ready (again) at `ready_at`."""
    return watch(
        "MODIFIED",
        pod(
            rv=rv,
            init=["db", "cache", "migrate"],
            phase="Running",
            conditions=initialized_conditions(1, 40, ready_at),
            init_statuses=[
                terminated("db", 0, 3, 10),
                terminated("cache", 0, 11, 12),
                terminated("migrate", 0, 13, 40),
            ],
            statuses=[running("app", 41, ready=ready_at is not None)],
        ),
    )


def test_a_startup_seen_to_its_end_is_sent_once(traced, django_capture_on_commit_callbacks):
    cluster = _cluster()
    sequence = healthy_sequence()
    _ingest(cluster, *sequence[:-1], capture=django_capture_on_commit_callbacks)
    assert traced.requests == [], "nothing while the Pod starts"
    _ingest(cluster, sequence[-1], capture=django_capture_on_commit_callbacks)
    assert list(traced.traces()) == [trace_id(UID, 0)]
    assert traced.paths == ["/v1/traces"]
    assert traced.headers[0]["authorization"] == "Bearer s3cret"
    assert traced.headers[0]["x-scope-orgid"] == "initscope"

    # The same object again, readiness lost and regained: the startup had ended, nothing is sent again.
    _ingest(
        cluster,
        sequence[-1],
        _ready_again(107, None),
        _ready_again(108, 90),
        capture=django_capture_on_commit_callbacks,
    )
    assert len(traced.requests) == 1
    spans = traced.traces()[trace_id(UID, 0)]
    root = next(s for s in spans if s.parent_id == "")
    assert root.name == "pod startup"
    assert root.resource["k8s.cluster.name"] == cluster.name
    assert root.end == int(at(45).timestamp()) * 10**9, "the first Ready, not the one after it"
    assert Pod.objects.get(cluster=cluster, uid=UID).ready_at == at(90)


def test_traces_are_off_by_default_and_never_sent_for_recordings(
    settings,
    otlp_receiver,  # noqa: F811
    redis_clean,  # noqa: F811
    eager,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    settings.INITSCOPE_TRACES_ENDPOINT = f"{otlp_receiver.url}/v1/traces"
    assert settings.INITSCOPE_TRACES is False
    _ingest(_cluster(), *healthy_sequence(), capture=django_capture_on_commit_callbacks)
    settings.INITSCOPE_TRACES = True
    _ingest(_cluster(watched=False), *healthy_sequence(), capture=django_capture_on_commit_callbacks)
    assert otlp_receiver.requests == []


def test_a_pod_first_listed_past_its_startup_is_not_sent(traced, django_capture_on_commit_callbacks):
    cluster = _cluster()
    last = healthy_sequence()[-1]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(cluster=cluster, items=[WatchItem("pod", last["object"], "")])  # from a list
    assert traced.requests == []
    assert Pod.objects.filter(cluster=cluster, uid=UID, ready=True).exists()


def test_neither_a_failing_builder_nor_a_broker_down_breaks_ingest(
    traced, monkeypatch, django_capture_on_commit_callbacks
):
    sequence = healthy_sequence()
    cluster = _cluster()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the span builder")

    monkeypatch.setattr(export, "build_trace", broken)
    _ingest(cluster, *sequence, capture=django_capture_on_commit_callbacks)
    assert Pod.objects.get(cluster=cluster, uid=UID).ready

    monkeypatch.setattr(export, "build_trace", traces.build_trace)

    def broker_down(*args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(tasks.export_trace, "delay", broker_down)
    other = _cluster()
    _ingest(other, *sequence, capture=django_capture_on_commit_callbacks)
    assert Pod.objects.get(cluster=other, uid=UID).ready
    assert traced.requests == []


def test_the_task_retries_when_the_receiver_fails(traced, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(tasks, "TRACE_RETRY_BASE_SECONDS", 0)
    traced.fail_next(2, status=400)  # not retried by the exporter itself: the task sends it again
    _ingest(_cluster(), *healthy_sequence(), capture=django_capture_on_commit_callbacks)
    assert list(traced.traces()) == [trace_id(UID, 0)]
    assert traced.copies(trace_id(UID, 0)) == 1
