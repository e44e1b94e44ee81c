"""History that lasts: time partitions of the tables that grow without bound, and retention.

- `keys`: the immutable times rows are partitioned by (a Pod's creation for attempts, an Event's first
  time for Events), and the sentinel for an unknown one.
- `partitions`: PostgreSQL's declarative range partitions of attempts and Events: the tables, their
  widths, converting a plain table (migration 0007), creating partitions ahead, detaching and dropping.
- `retention`: what is past the retention settings (`INITSCOPE_RETAIN_*`) and pruning it: whole
  partitions where they can go, else small batches (SQLite, the DEFAULT partition, recordings); Pods
  only once gone; captured log tails; hourly rollups. `manage.py prune` and beat's `maintain_history`.

Ages are measured on each cluster's clock (pods.models.Cluster): the wall clock for a watched cluster,
the newest time a recording holds for a recording, so an imported recording is not pruned for being old.

This package's `__init__` imports nothing: `pods.models` reads `keys`.
"""
