"""The Pod page draws waiting (issue 11, item 4): a recovered image pull's wait, with its reason."""

from __future__ import annotations

import re

import pytest

from tests.builders import ago, event, pending_conditions, pod, rebased, running, waiting
from tests.integration.helpers import detail_url, ingest

pytestmark = pytest.mark.django_db

T0 = ago(120)
IMAGE = "acme/db:1.4"


def _pull_recovered(uid: str, name: str) -> tuple[list[dict], list[dict]]:
    def at_rv(rv: int, status: dict) -> dict:
        return pod(
            rv=rv, init=["db"], conditions=pending_conditions(), init_statuses=[status], uid=uid, name=name
        )

    objects = [
        at_rv(10, waiting("db", "ErrImagePull", "manifest unknown")),
        at_rv(11, waiting("db", "ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')),
        at_rv(12, running("db", 37)),
    ]
    common = {"container": "db", "pod_uid": uid, "pod_name": name}
    events = [
        event("Pulling", f'Pulling image "{IMAGE}"', when=2, last_when=31, count=3, **common),
        event("Failed", f'Failed to pull image "{IMAGE}": manifest unknown', when=3, last_when=21, count=2,
              etype="Warning", **common),
        event("BackOff", f'Back-off pulling image "{IMAGE}"', when=4, last_when=30, count=2, **common),
        event("Pulled", f'Successfully pulled image "{IMAGE}" in 2s (2s including waiting)', when=35,
              **common),
    ]  # fmt: skip
    return rebased(objects, T0), rebased(events, T0)


def test_a_recovered_pull_shows_a_waiting_segment_with_its_reason(logged_in_client):
    objects, events = _pull_recovered("uid-pull-ok", "api-7d9f5c-pul")
    ingest(objects, events)
    content = logged_in_client.get(detail_url("uid-pull-ok")).content.decode()
    (tag,) = re.findall(r'<rect class="wf-seg wf-waiting[^>]*>', content)
    reason = re.search(r'data-reason="([^"]+)"', tag).group(1)
    assert set(reason.split("/")) >= {"ErrImagePull", "ImagePullBackOff"}
    assert 'data-segment="waiting"' in tag and 'aria-label="db waiting: ' in tag
    assert 'data-segment="pull"' in content and 'data-segment="attempt"' in content
    assert "image pull still failing" in content and "waiting (reason on the bar)" in content  # the legend
    # the header counts init attempts
    assert re.search(r'data-count="init-attempts">1 init attempt<', content)
