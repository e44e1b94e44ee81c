"""B4's input: a large history in PostgreSQL, generated in SQL and cached between runs.

At full scale: 1,000,000 Pods and about 10,000,000 attempt rows over 90 days, across 3 clusters, 40
namespaces and 400 workloads. Pods are spread over workloads like Zipf (the biggest workload owns ~12% of
all Pods, the ten biggest ~40%); a workload's Pods share one spec: 1–4 init containers (a native sidecar
first in some), one or two app containers, one image each. Some init containers crash-loop (exit 1,
OOMKilled, exit 2, ContainerCannotRun) with the kubelet's back-off between attempts; long runs are stored
as a placeholder row (`known` false, `count` > 1) between known attempts, as ingest stores them. Images
are pulled or already present. Most Pods are deleted after a lifetime of hours to days; Jobs' Pods complete
(some fail); the Pods still alive are running, or stuck (init crash loop, app crash loop, image pull,
a slow init container). Every Pod has a decodable `Pod.state`; the Pods still alive and the ones the
timeline benchmark opens (with their workload's newest Pods, which the Pod page reads as siblings) get the
whole engine state built from their rows, and those opened get Events too. Last, the raw init-containers
report's samples of every hour are computed set-based (`manage.py rollup --samples`).

Everything bulk is `INSERT ... SELECT` over `generate_series` (no ORM, no row by row): `fill` runs on any
DB-API cursor (the test runs it on the test database at a tiny scale). `ensure` keeps the database
(`<DATABASE_URL's name>_bench_b4`) between runs and rebuilds it only when `GENERATOR_VERSION`, the scale
or the migrations change (a fingerprint in the table `bench_b4_meta`), or with `--rebuild`; secondary
indexes and unique/foreign-key constraints are dropped during the load and recreated after it.

    python -m bench.history [--scale 0.01] [--rebuild]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 3
FULL_PODS = 1_000_000
DAYS = 90
WORKLOADS = 400
CLUSTERS = ("prod-eu-1", "prod-us-1", "staging-1")
NAMESPACES = (
    "payments", "checkout", "search", "catalog", "accounts", "orders", "shipping", "billing",
    "inventory", "pricing", "reviews", "recommend", "notify", "media", "auth", "gateway",
    "analytics", "reporting", "ml-serving", "ml-train", "etl", "kafka", "redis", "postgres",
    "monitoring", "logging", "ingress", "cert-manager", "vault", "ci", "batch", "cron",
    "web", "mobile-api", "partner-api", "fraud", "loyalty", "support", "backoffice", "sandbox",
)  # fmt: skip
WORDS = (
    "api", "web", "worker", "consumer", "indexer", "scheduler", "sync", "export", "import", "render",
    "cache", "proxy", "ledger", "feed", "router", "mailer", "resizer", "scorer", "crawler", "stream",
)  # fmt: skip
ROLES = (
    "core", "edge", "batch", "v2", "internal", "public", "east", "west", "blue", "green",
    "alpha", "beta", "main", "lite", "pro", "shadow", "canary", "legacy", "next", "ops",
)  # fmt: skip
INIT_NAMES = (
    "wait-for-db", "migrate", "config-render", "warm-cache", "fetch-secrets",
    "chown-data", "download-model", "wait-for-kafka", "schema-check", "seed-fixtures",
)  # fmt: skip
SIDECARS = ("istio-proxy", "log-shipper")
META_TABLE = "bench_b4_meta"
# The tables the generator fills, in load order.
TABLES = ("pods_cluster", "pods_workload", "pods_pod", "pods_container", "pods_attempt", "pods_imagepull")
# Pods given the whole engine state and Events as the timeline benchmark opens them.
OPENED = ("init-crash", "running", "deleted")


def database_url(base_url: str, scale: float) -> str:
    """The history database next to `base_url`'s: `<name>_bench_b4` (`_s0p01` appended below full scale)."""
    parsed = urlparse(base_url)
    name = (parsed.path.lstrip("/") or "initscope") + "_bench_b4"
    if scale != 1:
        name += "_s" + f"{scale:g}".replace(".", "p").replace("-", "m")
    return urlunparse(parsed._replace(path="/" + name))


def fingerprint(scale: float) -> str:
    """What the cached data depends on: the generator's version, the scale and every migration."""
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{scale!r}".encode())
    for path in sorted((ROOT / "pods" / "migrations").glob("0*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------------ SQL

# The kubelet's back-off before attempt j (10 s doubling to 300 s), summed over the attempts before it.
_BACKOFF = "(CASE WHEN {j} <= 5 THEN 10 * (power(2, {j}) - 1) ELSE 310 + 300 * ({j} - 5) END)"


def _steps(pods: int, attempt_columns: set[str]) -> list[str]:
    """The statements that fill the tables (parameters: %(until)s and the name arrays)."""
    backoff = _BACKOFF.format
    pod_created = ", pod_created_at" if "pod_created_at" in attempt_columns else ""
    pod_created_value = ", p.created_at" if "pod_created_at" in attempt_columns else ""
    return [
        "SELECT setseed(0.42)",
        """INSERT INTO pods_cluster (name, created_at, watched, observed_until, watch_failures,
               watch_heartbeat_at, watch_holder, watch_retry_at)
           SELECT name, %(until)s::timestamptz - interval '90 days', false, %(until)s, 0, NULL, '', NULL
           FROM unnest(%(clusters)s::text[]) WITH ORDINALITY AS c(name, n) ORDER BY n""",
        # One row per workload, by size rank (1 owns the most Pods); its spec is its Pods' spec.
        f"""CREATE TEMP TABLE b4_workload ON COMMIT DROP AS
           SELECT w AS rank,
             (SELECT id FROM pods_cluster
               WHERE name = (%(clusters)s::text[])[1 + (w - 1) %% 3]) AS cluster_id,
             (%(namespaces)s::text[])[1 + ((w - 1) * 7) %% 40] AS namespace,
             CASE w %% 20 WHEN 0 THEN 'StatefulSet' WHEN 1 THEN 'CronJob' WHEN 2 THEN 'Job'
               WHEN 3 THEN 'DaemonSet' ELSE 'Deployment' END AS kind,
             (%(words)s::text[])[1 + (w - 1) %% 20] || '-' || (%(roles)s::text[])[1 + ((w - 1) / 20) %% 20]
               AS name,
             1 + ((w * 7) %% 10 + (w * 3) %% 7) %% 4 AS n_init,
             (w %% 5 = 0)::int AS n_sidecar,
             CASE WHEN w %% 5 = 0 AND w %% 10 = 0 THEN 'log-shipper' ELSE 'istio-proxy' END AS sidecar,
             1 + (w %% 7 = 0)::int AS n_app,
             CASE WHEN w %% 11 = 0 THEN 0.5 WHEN w %% 3 = 0 THEN 0.2 ELSE 0.06 END AS flaky,
             substr(md5('rs' || w), 1, 10) AS template_hash
           FROM generate_series(1, {WORKLOADS}) w""",
        """INSERT INTO pods_workload (cluster_id, kind, namespace, name, failed_message, failed_first_at,
               failed_last_at, failed_count, created_last_at, updated_at)
           SELECT cluster_id, kind, namespace, name, '', NULL, NULL, 0, %(until)s, %(until)s
           FROM b4_workload ORDER BY rank""",
        # Each Pod's draws: its workload (Zipf-like: log-uniform rank), creation, lifetime and fate.
        f"""CREATE TEMP TABLE b4_draw ON COMMIT DROP AS
           SELECT g AS id, least({WORKLOADS}, floor(exp(random() * ln({WORKLOADS} + 1))))::int AS rank,
             %(until)s::timestamptz - random() * interval '{DAYS} days' AS created_at,
             random() AS u_life, random() AS u_fate, random() AS u_sched, random() AS u_node
           FROM generate_series(1, {pods}) g""",
        # At any scale, the first four Pods are alive and stuck (init crash loop, app crash loop, image
        # pull, slow init container), in a Deployment created hours ago.
        """UPDATE b4_draw SET rank = 6, created_at = %(until)s::timestamptz - id * interval '3 hours',
             u_life = 0.0001, u_fate = (ARRAY[0.01, 0.025, 0.032, 0.037])[id]
           WHERE id <= 4""",
        """CREATE TEMP TABLE b4_pod ON COMMIT DROP AS
           SELECT d.id, d.rank, w.cluster_id, w.namespace, w.kind AS owner_kind, w.name AS owner_name,
             w.n_init, w.n_sidecar, w.sidecar, w.n_app, w.flaky, w.template_hash, d.created_at,
             d.created_at + (0.3 + d.u_sched * 2.5) * interval '1 second' AS scheduled_at,
             'node-' || (w.cluster_id * 1000 + floor(d.u_node * 150))::int AS node,
             md5('pod' || d.id)::uuid::text AS uid,
             w.name || '-' || CASE WHEN w.kind = 'Deployment' THEN w.template_hash || '-'
               WHEN w.kind = 'CronJob' THEN (extract(epoch FROM d.created_at)::bigint / 60)::text || '-'
               ELSE '' END || substr(md5('name' || d.id), 1, 5) AS name,
             CASE WHEN w.kind IN ('Job', 'CronJob') THEN d.created_at + (0.5 + d.u_life) * interval '1 day'
               WHEN w.kind = 'Deployment' THEN d.created_at - ln(d.u_life) * interval '2 days'
               ELSE d.created_at - ln(d.u_life) * interval '10 days' END AS ends_at,
             CASE WHEN w.kind IN ('Job', 'CronJob') THEN (CASE WHEN d.u_fate < 0.05 THEN 'job-failed'
                 ELSE 'job-done' END)
               WHEN d.u_fate < 0.02 THEN 'init-crash' WHEN d.u_fate < 0.03 THEN 'app-crash'
               WHEN d.u_fate < 0.035 THEN 'image-pull' WHEN d.u_fate < 0.04 THEN 'init-slow'
               ELSE 'running' END AS fate
           FROM b4_draw d JOIN b4_workload w ON w.rank = d.rank""",
        # A Pod deleted after its lifetime: it ran to the end of it whatever its fate (the stuck fates
        # only hold for the Pods still there).
        """UPDATE b4_pod SET fate = CASE WHEN fate = 'job-failed' THEN 'job-failed' WHEN fate = 'job-done'
             THEN 'job-done' ELSE 'deleted' END
           WHERE ends_at < %(until)s""",
        # Containers (sidecar first, then init, then app), their attempts and spans; the start of each
        # init container is the end of the one before it (the window sum).
        """CREATE TEMP TABLE b4_c0 ON COMMIT DROP AS
           SELECT p.id AS pod_id, i AS idx, p.rank, p.fate,
             CASE WHEN i < p.n_sidecar THEN 'sidecar' WHEN i < p.n_sidecar + p.n_init THEN 'init'
               ELSE 'app' END AS kind,
             CASE WHEN i < p.n_sidecar THEN p.sidecar
               WHEN i < p.n_sidecar + p.n_init
                 THEN (%(init_names)s::text[])[1 + (p.rank * 3 + i - p.n_sidecar) %% 10]
               WHEN i = p.n_sidecar + p.n_init THEN p.owner_name ELSE 'metrics-exporter' END AS name,
             (i = p.n_sidecar + p.n_init - 1) AS last_init,
             p.flaky, random() AS u_fail, random() AS u_runs, random() AS u_mode, random() AS u_pull,
             random() AS u_dur, random() AS u_place,
             1 + ((p.rank * 13 + i * 7) %% 40) AS base_seconds
           FROM b4_pod p CROSS JOIN LATERAL generate_series(0, p.n_sidecar + p.n_init + p.n_app - 1) i""",
        """CREATE TEMP TABLE b4_c1 ON COMMIT DROP AS
           SELECT c.*,
             -- attempts (placeholders included); 0: never started (held back by the container before it)
             CASE
               WHEN c.fate = 'image-pull' THEN 0
               WHEN c.fate IN ('init-crash', 'init-slow') AND c.kind = 'app' THEN 0
               WHEN c.fate = 'init-crash' AND c.last_init THEN 3 + floor(c.u_runs * 40)::int
               WHEN c.fate = 'app-crash' AND c.kind = 'app' THEN 4 + floor(c.u_runs * 60)::int
               WHEN c.kind = 'init' AND c.u_fail < c.flaky THEN least(60, 2 + floor(-ln(c.u_runs) * 3)::int)
               WHEN c.kind = 'sidecar' AND c.u_fail < 0.1 THEN 2 + floor(-ln(c.u_runs) * 2)::int
               WHEN c.kind = 'app' AND c.fate = 'deleted' AND c.u_fail < 0.63
                 THEN least(200, 2 + floor(-ln(c.u_runs) * 12)::int)
               ELSE 1 END AS attempts,
             CASE WHEN c.u_mode < 0.6 THEN 1 WHEN c.u_mode < 0.8 THEN 137 WHEN c.u_mode < 0.93 THEN 2
               ELSE 128 END AS fail_code,
             -- seconds per attempt (log-normal around the container's own typical time)
             c.base_seconds * exp(0.5 * sqrt(-2 * ln(1 - c.u_dur)) * cos(2 * pi() * c.u_place)) AS seconds,
             (c.u_pull < 0.6 OR c.rank <= 10 AND c.u_pull < 0.9) AS already_present,
             CASE WHEN c.u_pull < 0.6 THEN 0.0 ELSE exp(c.u_pull * 3.5) END AS pull_seconds,
             CASE WHEN c.u_pull < 0.6 THEN 0.0 ELSE c.u_dur * c.u_dur * 8 END AS wait_seconds
           FROM b4_c0 c""",
        f"""CREATE TEMP TABLE b4_container ON COMMIT DROP AS
           SELECT row_number() OVER (ORDER BY c.pod_id, c.idx) AS id, c.*, p.scheduled_at,
             p.scheduled_at + interval '1 second' * (1 + coalesce(sum(c.span) OVER (PARTITION BY c.pod_id
               ORDER BY c.idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS base,
             CASE WHEN c.attempts >= 6 AND c.u_place < 0.3 THEN c.attempts - 4 ELSE 1 END AS placeholder
           FROM (SELECT c1.*, CASE WHEN c1.kind = 'app' THEN 0
                   WHEN c1.kind = 'sidecar' THEN c1.pull_seconds + c1.wait_seconds + 2
                   ELSE c1.pull_seconds + c1.wait_seconds + c1.attempts * c1.seconds
                     + {backoff(j="(c1.attempts - 1)")} END AS span
                 FROM b4_c1 c1) c
           JOIN b4_pod p ON p.id = c.pod_id""",
        # App containers start when the last init container finished (or the sidecar started).
        """UPDATE b4_container c SET base = i.initialized
           FROM (SELECT pod_id, max(base + span * interval '1 second') AS initialized FROM b4_container
                 WHERE kind <> 'app' GROUP BY pod_id) i
           WHERE c.pod_id = i.pod_id AND c.kind = 'app'""",
        """CREATE TEMP TABLE b4_podtimes ON COMMIT DROP AS
           SELECT pod_id, max(base) FILTER (WHERE kind = 'app') AS initialized_at,
             sum(greatest(attempts - 1, 0)) AS restarts,
             count(*) FILTER (WHERE kind <> 'app') AS init_count,
             count(*) FILTER (WHERE kind <> 'init') AS runs_count,
             min(name) FILTER (WHERE last_init) AS last_init_name,
             min(base) FILTER (WHERE last_init) AS last_init_base,
             max(attempts) FILTER (WHERE kind = 'app') AS app_attempts
           FROM b4_container GROUP BY pod_id""",
        """INSERT INTO pods_pod (id, cluster_id, uid, namespace, name, seen, node, owner_kind, owner_name,
               controller_kind, controller_name, restart_policy, phase, status, restarts, resource_version,
               created_at, scheduled_at,
               initialized_at, ready_at, deleted_at, observed_at, step, step_since, terminal, ready, failed,
               ready_containers, failure_code, failure_container, failure_summary, failure_since,
               init_container_count, state, updated_at)
           SELECT p.id, p.cluster_id, p.uid, p.namespace, p.name, true, p.node, p.owner_kind, p.owner_name,
             CASE p.owner_kind WHEN 'Deployment' THEN 'ReplicaSet' WHEN 'CronJob' THEN 'Job'
               ELSE p.owner_kind END,
             CASE WHEN p.owner_kind IN ('Deployment', 'CronJob') THEN regexp_replace(p.name, '-[^-]*$', '')
               ELSE p.owner_name END,
             CASE WHEN p.owner_kind IN ('Job', 'CronJob') THEN 'OnFailure' ELSE 'Always' END,
             x.phase, x.status, t.restarts, (p.id * 7)::text, p.created_at, p.scheduled_at, x.initialized_at,
             x.ready_at, x.deleted_at, NULL, x.step, x.step_since, x.phase IN ('Succeeded', 'Failed'),
             x.ready_at IS NOT NULL AND x.deleted_at IS NULL, p.fate = 'job-failed', x.ready_containers,
             x.failure_code, x.failure_container, x.failure_summary, x.failure_since, t.init_count,
             convert_to(jsonb_build_object(
               'uid', p.uid, 'namespace', p.namespace, 'name', p.name, 'seen', true, 'node', p.node,
               'phase', x.phase, 'status', x.status,
               'owner', jsonb_build_object('kind', p.owner_kind, 'name', p.owner_name),
               'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
             )::text, 'UTF8'),
             coalesce(x.deleted_at, x.step_since, p.created_at)
           FROM b4_pod p JOIN b4_podtimes t ON t.pod_id = p.id
           CROSS JOIN LATERAL (SELECT
             CASE WHEN p.fate IN ('init-crash', 'init-slow', 'image-pull') THEN NULL ELSE t.initialized_at END
               AS initialized_at,
             CASE WHEN p.fate IN ('running', 'deleted') THEN t.initialized_at + interval '6 seconds'
               WHEN p.fate = 'app-crash' THEN NULL ELSE NULL END AS ready_at,
             CASE WHEN p.fate IN ('deleted', 'job-done', 'job-failed') THEN p.ends_at END AS deleted_at,
             CASE WHEN p.fate IN ('job-done', 'deleted') THEN 'Succeeded' WHEN p.fate = 'job-failed'
               THEN 'Failed' WHEN p.fate = 'running' OR p.fate = 'app-crash' THEN 'Running'
               ELSE 'Pending' END AS phase,
             CASE p.fate WHEN 'job-done' THEN 'Completed' WHEN 'deleted' THEN 'Completed'
               WHEN 'job-failed' THEN 'Error' WHEN 'running' THEN 'Running'
               WHEN 'app-crash' THEN 'CrashLoopBackOff' WHEN 'init-crash' THEN 'Init:CrashLoopBackOff'
               WHEN 'image-pull' THEN 'Init:ImagePullBackOff'
               ELSE 'Init:' || (t.init_count - 1) || '/' || t.init_count END AS status,
             CASE p.fate WHEN 'job-done' THEN 'completed' WHEN 'deleted' THEN 'deleted'
               WHEN 'job-failed' THEN 'failed' WHEN 'running' THEN 'running'
               WHEN 'app-crash' THEN p.owner_name || ': CrashLoopBackOff'
               WHEN 'image-pull' THEN 'init 1/' || t.init_count || ': pulling image'
               ELSE 'init ' || t.init_count || '/' || t.init_count || ': ' || t.last_init_name END AS step,
             CASE WHEN p.fate IN ('init-crash', 'init-slow') THEN t.last_init_base
               WHEN p.fate = 'image-pull' THEN p.scheduled_at + interval '1 second'
               ELSE coalesce(t.initialized_at, p.scheduled_at) END AS step_since,
             CASE WHEN p.fate IN ('running', 'deleted', 'job-done') THEN t.runs_count || '/' || t.runs_count
               ELSE '0/' || t.runs_count END AS ready_containers,
             CASE p.fate WHEN 'init-crash' THEN 'crash-loop' WHEN 'app-crash' THEN 'crash-loop'
               WHEN 'image-pull' THEN 'image-pull' WHEN 'job-failed' THEN 'failed' ELSE '' END
               AS failure_code,
             CASE p.fate WHEN 'init-crash' THEN t.last_init_name WHEN 'app-crash' THEN p.owner_name
               WHEN 'image-pull' THEN t.last_init_name ELSE '' END AS failure_container,
             CASE p.fate
               WHEN 'init-crash' THEN 'init container ' || t.last_init_name
                 || ' keeps failing: exit 1, relation "schema_migrations" does not exist'
               WHEN 'app-crash' THEN p.owner_name || ' keeps crashing: exit 1 (CrashLoopBackOff)'
               WHEN 'image-pull' THEN 'image pull failing: Back-off pulling image'
               WHEN 'job-failed' THEN 'the Job''s container exited 1' ELSE '' END AS failure_summary,
             CASE WHEN p.fate IN ('init-crash', 'app-crash', 'image-pull')
               THEN p.scheduled_at + interval '2 seconds' END AS failure_since
           ) x""",
        """INSERT INTO pods_container (id, pod_id, name, kind, index, image, restart_count, state,
               state_reason)
           SELECT c.id, c.pod_id, c.name, c.kind, c.idx, 'acme/' || c.name || ':1.' || (c.rank %% 9),
             greatest(c.attempts - 1, 0),
             CASE WHEN c.attempts = 0 THEN 'waiting' WHEN p.fate IN ('deleted', 'job-done', 'job-failed')
               OR c.kind = 'init' THEN 'terminated' ELSE 'running' END,
             CASE WHEN c.attempts = 0 AND p.fate = 'image-pull' THEN 'ImagePullBackOff'
               WHEN c.attempts = 0 THEN 'PodInitializing'
               WHEN p.fate = 'init-crash' AND c.last_init THEN 'CrashLoopBackOff'
               WHEN c.kind = 'init' OR p.fate IN ('deleted', 'job-done') THEN 'Completed' ELSE '' END
           FROM b4_container c JOIN b4_pod p ON p.id = c.pod_id""",
        # Attempt rows: numbers 0 .. attempts-1, the run 1 .. placeholder stored as one placeholder row.
        f"""INSERT INTO pods_attempt (pod_id, container_id, generation, number, known, count,
               runtime_container_id, started_at, finished_at, exit_code, reason, message, signal,
               log_tail{pod_created})
           SELECT c.pod_id, c.id, 0, a.number, NOT a.placeholder, CASE WHEN a.placeholder THEN c.placeholder
               ELSE 1 END,
             CASE WHEN a.placeholder THEN '' ELSE 'containerd://' || md5(c.id || ':' || a.number) END,
             CASE WHEN NOT a.placeholder THEN a.started_at END,
             CASE WHEN a.placeholder THEN NULL WHEN a.last AND c.kind <> 'init'
               AND p.fate IN ('running', 'init-crash', 'init-slow', 'app-crash') THEN NULL
               WHEN a.last AND c.kind <> 'init' THEN greatest(p.ends_at, a.started_at)
               WHEN a.last AND p.fate = 'init-slow' THEN NULL
               ELSE a.started_at + c.seconds * (CASE WHEN a.fails THEN 0.3 ELSE 0.7 END + 0.6 * random())
                 * interval '1 second' END,
             CASE WHEN a.placeholder OR a.running THEN NULL WHEN a.fails THEN c.fail_code
               WHEN a.last AND p.fate = 'job-failed' AND c.kind = 'app' THEN 1 ELSE 0 END,
             CASE WHEN a.placeholder OR a.running THEN '' WHEN a.fails AND c.fail_code = 137 THEN 'OOMKilled'
               WHEN a.fails AND c.fail_code = 128 THEN 'ContainerCannotRun' WHEN a.fails THEN 'Error'
               WHEN a.last AND p.fate = 'job-failed' AND c.kind = 'app' THEN 'Error' ELSE 'Completed' END,
             CASE WHEN a.fails AND c.fail_code = 1 THEN 'relation "schema_migrations" does not exist'
               WHEN a.fails AND c.fail_code = 128
                 THEN 'failed to create containerd task: exec: "/bin/migrate": no such file or directory'
               ELSE '' END,
             NULL, ''{pod_created_value}
           FROM b4_container c JOIN b4_pod p ON p.id = c.pod_id
           CROSS JOIN LATERAL generate_series(0, c.attempts - c.placeholder) j
           CROSS JOIN LATERAL (SELECT
             CASE WHEN j >= 2 THEN j + c.placeholder - 1 ELSE j END AS number,
             (c.placeholder > 1 AND j = 1) AS placeholder,
             (j = c.attempts - c.placeholder) AS last) n
           CROSS JOIN LATERAL (SELECT n.number, n.placeholder, n.last,
             c.base + (c.pull_seconds + c.wait_seconds + n.number * c.seconds
               + {backoff(j="n.number")}) * interval '1 second' AS started_at,
             (NOT n.last OR (p.fate = 'init-crash' AND c.last_init)
               OR (p.fate = 'app-crash' AND c.kind = 'app')) AS fails,
             (n.last AND ((c.kind <> 'init' AND p.fate IN ('running', 'init-crash', 'init-slow', 'app-crash'))
               OR (p.fate = 'init-slow' AND c.last_init))) AS running) a
           WHERE a.placeholder OR a.started_at < least(%(until)s, p.ends_at)""",
        """INSERT INTO pods_imagepull (container_id, image, started_at, finished_at, pull_seconds,
               wait_seconds, image_bytes, already_present, failures)
           SELECT c.id, 'acme/' || c.name || ':1.' || (c.rank %% 9), c.base,
             CASE WHEN p.fate = 'image-pull' THEN NULL
               ELSE c.base + (c.pull_seconds + c.wait_seconds) * interval '1 second' END,
             CASE WHEN c.already_present OR p.fate = 'image-pull' THEN NULL ELSE c.pull_seconds END,
             CASE WHEN c.already_present OR p.fate = 'image-pull' THEN NULL ELSE c.wait_seconds END,
             CASE WHEN c.already_present THEN NULL ELSE (20 + c.u_dur * 400)::bigint * 1000000 END,
             c.already_present AND p.fate <> 'image-pull',
             CASE WHEN p.fate = 'image-pull' THEN 3 + (c.rank %% 5) WHEN c.u_mode > 0.98 THEN 1 ELSE 0 END
           FROM b4_container c JOIN b4_pod p ON p.id = c.pod_id""",
        "SELECT setval(pg_get_serial_sequence('pods_pod', 'id'), (SELECT max(id) FROM pods_pod))",
        "SELECT setval(pg_get_serial_sequence('pods_container', 'id'), (SELECT max(id) FROM pods_container))",
    ]


def _params(until: datetime) -> dict[str, Any]:
    return {
        "until": until,
        "clusters": list(CLUSTERS),
        "namespaces": list(NAMESPACES),
        "words": list(WORDS),
        "roles": list(ROLES),
        "init_names": list(INIT_NAMES),
    }


def _columns(cursor: Any, table: str) -> set[str]:
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return {row[0] for row in cursor.fetchall()}


def fill(cursor: Any, *, scale: float, until: datetime, log: Any = None) -> dict[str, float]:
    """Fill the (empty, migrated) tables with the history at `scale` (1: a million Pods), ending at
    `until`; returns the seconds each step took. Runs in the cursor's transaction; `finish` follows."""
    pods = max(30, round(FULL_PODS * scale))
    params = _params(until)
    timings: dict[str, float] = {}
    for sql in _steps(pods, _columns(cursor, "pods_attempt")):
        started = time.perf_counter()
        cursor.execute(sql, params)
        label = " ".join(sql.split()[:4])
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - started
        if log:
            log(f"  {time.perf_counter() - started:7.1f}s  {label}")
    return timings


def finish(cursor: Any, *, until: datetime) -> dict[str, int]:
    """After `fill` (and with the indexes in place): the whole engine state of the Pods still alive and
    of the opened ones with their siblings, and the opened ones' Events; returns the opened Pods' ids."""
    opened = opened_pods(cursor)
    write_states(cursor, _stateful_pods(cursor, opened), until=until)
    write_events(cursor, list(opened.values()))
    return opened


# ------------------------------------------------------------------------------------------------ states


def opened_pods(cursor: Any) -> dict[str, int]:
    """The Pods the timeline benchmark opens, by what they are: an init container crash-looping (the
    most attempts), a running Pod and a deleted one, each of the biggest workload that has one."""
    cursor.execute(
        "SELECT cluster_id, owner_name FROM pods_pod GROUP BY 1, 2 ORDER BY count(*) DESC, 2 LIMIT 20"
    )
    biggest = cursor.fetchall()
    wanted = {
        "init-crash": "p.failure_code = 'crash-loop' AND p.status LIKE 'Init:%%'",
        "running": "p.status = 'Running' AND p.ready",
        "deleted": "p.deleted_at IS NOT NULL AND p.owner_kind = 'Deployment'",
    }
    out = {}
    for what, condition in wanted.items():
        for cluster_id, owner_name in biggest:
            cursor.execute(
                f"""SELECT p.id FROM pods_pod p
                    WHERE p.cluster_id = %s AND p.owner_name = %s AND {condition}
                    ORDER BY p.restarts DESC, p.id LIMIT 1""",
                [cluster_id, owner_name],
            )
            row = cursor.fetchone()
            if row:
                out[what] = row[0]
                break
    return out


def _stateful_pods(cursor: Any, opened: dict[str, int]) -> list[int]:
    """The Pods given the whole engine state: every Pod not deleted, the opened ones and the newest 200
    Pods of each opened one's workload (the Pod page reads its siblings' states)."""
    cursor.execute("SELECT id FROM pods_pod WHERE deleted_at IS NULL")
    ids = {row[0] for row in cursor.fetchall()}
    for pod_id in opened.values():
        cursor.execute(
            """SELECT o.id FROM pods_pod o JOIN pods_pod p ON p.id = %s
               WHERE o.cluster_id = p.cluster_id AND o.namespace = p.namespace
                 AND o.owner_kind = p.owner_kind AND o.owner_name = p.owner_name
               ORDER BY o.created_at DESC, o.id DESC LIMIT 201""",
            [pod_id],
        )
        ids.update(row[0] for row in cursor.fetchall())
        ids.add(pod_id)
    return sorted(ids)


def write_states(cursor: Any, pod_ids: list[int], *, until: datetime, chunk: int = 2000) -> None:
    """Build each Pod's engine state from its rows (Pod, containers, attempts, pulls) and store it."""
    from pods.timeline.codec import encode_state

    for i in range(0, len(pod_ids), chunk):
        part = pod_ids[i : i + chunk]
        states = _states(cursor, part, until)
        cursor.executemany(
            "UPDATE pods_pod SET state = %s WHERE id = %s", [(data, pod_id) for pod_id, data in states]
        )
        del states
    _ = encode_state  # imported here so that the module loads without the engine for `--help`


def _states(cursor: Any, pod_ids: list[int], until: datetime) -> list[tuple[int, bytes]]:
    from pods.timeline.codec import encode_state
    from pods.timeline.model import (
        Attempt,
        Condition,
        ContainerState,
        Diagnosis,
        Owner,
        PodState,
        Pull,
    )

    cursor.execute(
        """SELECT id, uid, namespace, name, node, owner_kind, owner_name, restart_policy, phase, status,
             restarts, resource_version, created_at, scheduled_at, initialized_at, ready_at, deleted_at,
             step, step_since, ready_containers, failure_code, failure_container, failure_summary,
             failure_since
           FROM pods_pod WHERE id = ANY(%s)""",
        [pod_ids],
    )
    pods = {row[0]: row for row in cursor.fetchall()}
    cursor.execute(
        """SELECT c.pod_id, c.id, c.name, c.kind, c.index, c.image, c.restart_count, c.state,
             c.state_reason, u.image, u.started_at, u.finished_at, u.pull_seconds, u.wait_seconds,
             u.image_bytes, u.already_present, u.failures
           FROM pods_container c LEFT JOIN pods_imagepull u ON u.container_id = c.id
           WHERE c.pod_id = ANY(%s) ORDER BY c.pod_id, c.index""",
        [pod_ids],
    )
    containers: dict[int, list] = defaultdict(list)
    for row in cursor.fetchall():
        containers[row[0]].append(row)
    cursor.execute(
        """SELECT container_id, generation, number, runtime_container_id, started_at, finished_at,
             exit_code, reason, message, signal, known, count
           FROM pods_attempt WHERE pod_id = ANY(%s) ORDER BY container_id, generation, number""",
        [pod_ids],
    )
    attempts: dict[int, list] = defaultdict(list)
    for row in cursor.fetchall():
        attempts[row[0]].append(
            Attempt(
                generation=row[1], number=row[2], container_id=row[3], started_at=row[4],
                finished_at=row[5], exit_code=row[6], reason=row[7], message=row[8], signal=row[9],
                known=row[10], count=row[11],
            )
        )  # fmt: skip
    out = []
    for pod_id in pod_ids:
        p = pods[pod_id]
        (_, uid, namespace, name, node, owner_kind, owner_name, restart_policy, phase, status, restarts,
         rv, created, scheduled, initialized, ready, deleted, step_label, step_since, ready_containers,
         failure_code, failure_container, failure_summary, failure_since) = p  # fmt: skip
        template = name.rsplit("-", 1)[0]
        controller = (
            Owner("ReplicaSet", template)
            if owner_kind == "Deployment"
            else Owner("Job", name.rsplit("-", 1)[0])
            if owner_kind == "CronJob"
            else Owner(owner_kind, owner_name)
        )
        cstates = []
        for row in containers.get(pod_id, []):
            (_, cid, cname, kind, index, image, restart_count, cstate, reason, pull_image, pull_start,
             pull_end, pull_s, wait_s, size, present, failures) = row  # fmt: skip
            runs = attempts.get(cid, [])
            last = runs[-1] if runs else None
            since = (last.finished_at or last.started_at) if last else pull_start
            cstates.append(
                ContainerState(
                    name=cname, kind=kind, index=index, image=image, restart_count=restart_count,
                    state=cstate, state_reason=reason, state_since=since,
                    ready=cstate == "running" and kind != "init", started=cstate == "running",
                    attempts=runs, restart_policy="Always" if kind == "sidecar" else "",
                    pull=Pull(
                        image=pull_image, started_at=pull_start, finished_at=pull_end,
                        pull_seconds=pull_s, wait_seconds=wait_s, image_bytes=size,
                        already_present=present, failures=failures,
                    ),
                    resources={"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                )
            )  # fmt: skip
        conditions = [
            Condition("PodScheduled", "True", last_transition_at=scheduled),
            Condition("Initialized", "True" if initialized else "False", last_transition_at=initialized),
            Condition("Ready", "True" if ready else "False", last_transition_at=ready or step_since),
        ]
        terminal = phase in ("Succeeded", "Failed")
        engine_step = (
            "deleting"
            if deleted
            else "done"
            if terminal
            else "running"
            if ready
            else f"init:{failure_container}"
            if status.startswith("Init:")
            else "containers"
        )
        state = PodState(
            uid=uid, namespace=namespace, name=name, seen=True, resource_version=rv,
            labels={"app": owner_name, "pod-template-hash": template.rsplit("-", 1)[-1]},
            owner=Owner(owner_kind, owner_name), controller=controller, node=node,
            restart_policy=restart_policy, phase=phase, created_at=created, started_at=scheduled,
            scheduled_at=scheduled, initialized_at=initialized, containers_ready_at=ready, ready_at=ready,
            sandbox_ready_at=scheduled + timedelta(seconds=1) if scheduled else None, deleted_at=deleted,
            conditions=conditions, containers=cstates, status=status, restarts=restarts,
            ready_containers=ready_containers, step=engine_step, step_since=step_since,
            failure=Diagnosis(failure_code, failure_container, failure_summary, failure_since)
            if failure_code and not terminal
            else None,
            last_seen_at=min(until, deleted or until),
        )  # fmt: skip
        out.append((pod_id, encode_state(state)))
    return out


def write_events(cursor: Any, pod_ids: list[int]) -> None:
    """The Events of the opened Pods, as the kubelet and the scheduler write them."""
    cursor.execute(
        """SELECT p.cluster_id, p.uid, p.namespace, p.name, p.node, p.scheduled_at, c.name, c.kind,
             u.already_present, u.started_at, u.finished_at, u.image,
             (SELECT min(started_at) FROM pods_attempt a WHERE a.container_id = c.id),
             (SELECT count(*) FROM pods_attempt a WHERE a.container_id = c.id AND a.exit_code <> 0),
             (SELECT max(finished_at) FROM pods_attempt a WHERE a.container_id = c.id)
           FROM pods_pod p JOIN pods_container c ON c.pod_id = p.id
           LEFT JOIN pods_imagepull u ON u.container_id = c.id
           WHERE p.id = ANY(%s) ORDER BY p.id, c.index""",
        [pod_ids],
    )
    rows: list[tuple] = []
    done: set[str] = set()
    for (cluster_id, uid, ns, name, node, scheduled, cname, _kind, present, pull_start, pull_end, image,
         first_start, failures, last_end) in cursor.fetchall():  # fmt: skip
        pod = (cluster_id, uid, ns, name)
        if uid not in done:
            done.add(uid)
            _event(rows, pod, "Scheduled", f"Successfully assigned {ns}/{name} to {node}", scheduled)
        if present:
            _event(rows, pod, "Pulled", f'Container image "{image}" already present on machine', pull_start,
                   container=cname)  # fmt: skip
        else:
            _event(rows, pod, "Pulling", f'Pulling image "{image}"', pull_start, container=cname)
            _event(rows, pod, "Pulled", f'Successfully pulled image "{image}"', pull_end, container=cname)
        _event(rows, pod, "Created", f"Created container {cname}", first_start, container=cname)
        _event(rows, pod, "Started", f"Started container {cname}", first_start, container=cname)
        if failures:
            _event(rows, pod, "BackOff", f"Back-off restarting failed container {cname} in pod {name}",
                   first_start, count=failures, kind="Warning", container=cname, last=last_end)  # fmt: skip
    # Partitioned Events (pods.history) carry their first time as the partition key.
    keyed = "partition_at" in _columns(cursor, "pods_event")
    cursor.executemany(
        f"""INSERT INTO pods_event (cluster_id, uid, pod_uid, namespace, name, type, reason, message, count,
             first_at, last_at, container, field_path, source, resource_version{", partition_at" * keyed})
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s{", %s" * keyed})""",
        [(*row, row[9]) if keyed else row for row in rows],
    )


def _event(rows: list[tuple], pod: tuple, reason: str, message: str, at: datetime | None, *, count: int = 1,
           kind: str = "Normal", container: str = "", last: datetime | None = None) -> None:  # fmt: skip
    """One Event row about `pod` (cluster id, uid, namespace, name), as the kubelet or scheduler writes it."""
    if at is None:
        return
    cluster_id, uid, ns, name = pod
    key = f"{uid}-{reason}-{container}"
    rows.append((
        cluster_id, hashlib.md5(key.encode()).hexdigest(), uid, ns, f"{name}.{len(rows):x}", kind,
        reason, message, count, at, last or at, container,
        f"spec.containers{{{container}}}" if container else "",
        "kubelet" if container else "default-scheduler", str(len(rows) + 1),
    ))  # fmt: skip


# ------------------------------------------------------------------------------------------------ cache


def _constraints_and_indexes(cursor: Any) -> tuple[list[str], list[str], list[str]]:
    """(drop statements, index definitions, constraint definitions) of the filled tables' unique and
    foreign-key constraints and secondary indexes (primary keys stay)."""
    tables = list(TABLES)
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
           FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('u', 'f')""",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        [tables],
    )
    indexes = cursor.fetchall()
    drops = [f'ALTER TABLE {t} DROP CONSTRAINT "{name}"' for t, name, _, kind in constraints if kind == "f"]
    drops += [f'ALTER TABLE {t} DROP CONSTRAINT "{name}"' for t, name, _, kind in constraints if kind == "u"]
    drops += [f'DROP INDEX "{name}"' for name, _ in indexes]
    # A partitioned table's index reads `ON ONLY parent`: recreated on the parent and its partitions.
    creates = [definition.replace(" ON ONLY ", " ON ") for _, definition in indexes]
    adds = [f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {d}' for t, name, d, kind in constraints if kind == "u"]
    adds += [
        f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {d}' for t, name, d, kind in constraints if kind == "f"
    ]
    return drops, creates, adds


def migrate(url: str) -> None:
    """Apply the project's migrations to the history database (all of them on a new one; on a cached
    one, those of the other apps added since, such as a new app's tables: the history's own tables
    depend only on `pods`' migrations, which the fingerprint holds)."""
    env = dict(os.environ, DATABASE_URL=url, DEBUG=os.environ.get("DEBUG", "1"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip


def build(url: str, scale: float, log: Any = print) -> dict[str, Any]:
    """Create the database afresh, migrate it and fill it; returns the meta row."""
    import psycopg

    stamp = fingerprint(scale)  # of the migrations applied below
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(url)
    env = dict(os.environ, DATABASE_URL=url, DEBUG=os.environ.get("DEBUG", "1"))
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET jit = off")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET work_mem = '256MB'")
        drops, creates, adds = _constraints_and_indexes(cursor)
        for sql in drops:
            cursor.execute(sql)
        sys.path.insert(0, str(ROOT))
        timings = fill(cursor, scale=scale, until=until, log=log)
        log(f"  loaded in {time.perf_counter() - started:.0f}s; indexes and constraints ...")
        for sql in creates + adds:
            cursor.execute(sql)
        cursor.execute("ANALYZE")
        log(f"  {time.perf_counter() - started:.0f}s; engine states and Events ...")
        opened = finish(cursor, until=until)
        opened_uids = {what: _uid(cursor, pod_id) for what, pod_id in opened.items()}
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES + ("pods_event",):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        # The raw report's samples of every hour, set-based (`manage.py rollup --samples`), as the rollup
        # task keeps them (docs/reports.md "Reports over raw rows, fast").
        log(f"  {time.perf_counter() - started:.0f}s; the report samples ...")
        step = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "rollup", "--samples", "--all", "--skip-checks"],
            env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        timings["samples"] = time.perf_counter() - step
        conn.execute("VACUUM (ANALYZE) pods_reportsample")
        seconds = time.perf_counter() - started
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in TABLES
        }
        meta = {
            "fingerprint": stamp,
            "version": GENERATOR_VERSION,
            "scale": scale,
            "until": until.isoformat(),
            "generated_seconds": round(seconds, 1),
            "counts": counts,
            "opened": opened_uids,
            "steps": {k: round(v, 1) for k, v in timings.items()},
        }
        import orjson

        conn.execute(f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
        conn.execute(f"INSERT INTO {META_TABLE} VALUES ('meta', %s::jsonb)", [orjson.dumps(meta).decode()])
    return meta


def _uid(cursor: Any, pod_id: int) -> str:
    cursor.execute("SELECT uid FROM pods_pod WHERE id = %s", [pod_id])
    return cursor.fetchone()[0]


def cached_meta(url: str) -> dict[str, Any] | None:
    """The meta row of an existing history database, or None."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'meta'").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def ensure(base_url: str, *, scale: float = 1.0, rebuild: bool = False, log: Any = print) -> tuple[str, dict]:
    """The history database's URL and meta, (re)built when missing, stale or `rebuild`."""
    url = database_url(base_url, scale)
    meta = None if rebuild else cached_meta(url)
    if meta is not None and meta.get("fingerprint") == fingerprint(scale):
        migrate(url)
        log(
            f"history: cached {urlparse(url).path.lstrip('/')} ({meta['counts']['pods_pod']:,} Pods, "
            f"{meta['counts']['pods_attempt']:,} attempt rows, generated in {meta['generated_seconds']:.0f}s)"
        )
        return url, meta
    log(f"history: generating {urlparse(url).path.lstrip('/')} at scale {scale:g} ...")
    meta = build(url, scale, log=log)
    log(
        f"history: {meta['counts']['pods_pod']:,} Pods, {meta['counts']['pods_container']:,} containers, "
        f"{meta['counts']['pods_attempt']:,} attempt rows in {meta['generated_seconds']:.0f}s"
    )
    return url, meta


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope")
    ensure(base, scale=args.scale, rebuild=args.rebuild)


if __name__ == "__main__":
    main(sys.argv[1:])
