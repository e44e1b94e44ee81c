"""The log-tail service: keep the last log lines of a failed attempt with its stored timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from pods.ingest.rows import fingerprints, load_states, write_pods
from pods.models import Cluster


def attempt_set_log_tail(
    *, cluster: Cluster, uid: str, container: str, generation: int, number: int, text: str
) -> bool:
    """Keep the last log lines of a (failed) attempt with it, so the reason survives the Pod.

    Returns False when the Pod or attempt is unknown or already holds exactly this text.
    """
    with transaction.atomic():
        states = load_states(cluster, {uid})
        state = states.get(uid)
        if state is None:
            return False
        target = state.container(container)
        attempt = next(
            (
                a
                for a in (target.attempts if target else ())
                if (a.generation, a.number) == (generation, number)
            ),
            None,
        )
        if attempt is None or attempt.log_tail == text:
            return False
        before = {uid: fingerprints(state)}
        attempt.log_tail = text
        write_pods(cluster, {uid: state}, before, datetime.now(UTC))
    return True
