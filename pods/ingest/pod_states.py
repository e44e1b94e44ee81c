"""The folded states of one cluster's Pods, kept in memory between batches by their only writer.

Ingest folds each object into the Pod's stored `PodState` (`Pod.state`). Reading it back for every batch
(one query, then decoding ~6 KB of JSON per Pod) cost about a tenth of a batch. A watcher holds its
cluster's lock (pods.watch.lock): while it holds it, no other watcher writes that cluster's Pods, so the
state it wrote last is the stored one, and it can keep it instead of reading it back, without a query to
validate it.

The rule that keeps it exact: an entry is exactly the state the watcher's own committed transaction
wrote. `take` hands a batch its Pods' states and removes them; `keep` puts back the states a batch wrote,
and is called only once that batch's transaction has committed (`transaction.on_commit`). So a batch that
fails (any error, a rollback) simply never puts its Pods back: they are read from the database next time,
and every other entry is still what the database holds. The watcher's pipelined ingest
(`pods.ingest.pipeline`) keeps a batch's states as soon as it is folded, while it is written: if that write
fails, it drops every entry (`clear`) before anything is folded from them again.

Pods whose fold changed nothing are not written (their stored state keeps its older resourceVersion), so
they are not kept either; nor are deleted Pods (no object follows a deletion). Writers of the same Pods
outside ingest's batches in the watcher's process drop what they touch (`forget`): the log tails it
captures, a relist's reconciliation (`clear`).

Its life is one lock hold: `pods.watch.state.ClusterWatch` owns one, and a watch run (one window, at most
`INITSCOPE_WATCH_WINDOW_SECONDS`) ends with its lock and its ClusterWatch. Other processes write a Pod's
state only in retention (log tails older than their retention, Pods deleted long ago), which keeps
nothing a running Pod's next object would miss; a cluster deleted in the admin ends its watch.

At most `limit` Pods are kept (the least recently written are dropped first): about 15 KB each in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pods.timeline import PodState

DEFAULT_LIMIT = 5_000


class PodStates:
    """Pod uid -> the `PodState` the holder's last committed batch wrote for it (see the module)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._states: dict[str, PodState] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, uid: object) -> bool:
        return uid in self._states

    def take(self, uids: set[str]) -> dict[str, PodState]:
        """The kept states of these Pods, removed from the cache (the batch now owns them: a fold mutates
        them, and only its commit puts them back)."""
        out = {}
        states = self._states
        for uid in uids:
            state = states.pop(uid, None)
            if state is not None:
                out[uid] = state
        self.hits += len(out)
        self.misses += len(uids) - len(out)
        return out

    def keep(self, states: Mapping[str, PodState]) -> None:
        """Keep states that a committed transaction has just written (deleted Pods are not kept)."""
        kept = self._states
        for uid, state in states.items():
            kept.pop(uid, None)  # re-inserted last: the most recently written go last
            if state.deleted_at is None:
                kept[uid] = state
        excess = len(kept) - self.limit
        if excess > 0:
            for uid in list(kept)[:excess]:
                del kept[uid]

    def forget(self, uids: Iterable[str]) -> None:
        """Drop these Pods (something other than an ingest batch of this holder writes them)."""
        for uid in uids:
            self._states.pop(uid, None)

    def clear(self) -> None:
        self._states.clear()
