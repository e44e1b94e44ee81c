"""The log-tail service: keep the last log lines of a failed attempt with its stored timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from pods.ingest.rows import fingerprints, load_states, write_pods
from pods.models import Attempt as AttemptRow
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


def clear_log_tails(*, cluster: Cluster, uids: set[str], captured_before: datetime) -> int:
    """Forget the log tails of these Pods' attempts that ended before `captured_before` (retention,
    pods.history): from the stored timelines and from their rows, in one transaction. Returns how many
    attempt rows lost theirs."""
    with transaction.atomic():
        rows = AttemptRow.objects.filter(pod__cluster=cluster, pod__uid__in=uids).exclude(log_tail="")
        rows = rows.annotate(ended=Coalesce("finished_at", "started_at")).filter(
            Q(ended__lt=captured_before) | Q(ended__isnull=True)
        )
        count = rows.count()
        states = load_states(cluster, uids)
        changed, before = {}, {}
        for uid, state in states.items():
            old = fingerprints(state)
            for container in state.containers:
                for attempt in container.attempts:
                    ended = attempt.finished_at or attempt.started_at
                    if attempt.log_tail and (ended is None or ended < captured_before):
                        attempt.log_tail = ""
                        changed[uid], before[uid] = state, old
        if changed:
            write_pods(cluster, changed, before, datetime.now(UTC))
        # Rows whose timeline did not hold the text (or holds no timeline) are cleared all the same.
        AttemptRow.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(log_tail="")
    return count
