"""`pods show`'s describe part: the document's `spec`, `workload` and Events as plain text (what
`kubectl describe pod` prints beyond the timeline). Cluster strings pass through `terminal._clean`."""

from __future__ import annotations

from pods.management.terminal import _clean

EVENT_MESSAGE_WIDTH = 160


def _pairs(values: dict) -> str:
    return " ".join(f"{_clean(k)}={_clean(v)}" for k, v in values.items()) or "-"


def _probe(p: dict) -> str:
    kind, kind_of = _clean(p.get("kind", "")), p.get("type", "")
    if kind_of == "httpGet":
        what = f"http-get {(p.get('scheme') or 'HTTP').lower()}://:{p.get('port')}{p.get('path')}"
    elif kind_of == "tcpSocket":
        what = f"tcp-socket :{p.get('port')}"
    elif kind_of == "grpc":
        what = f"grpc :{p.get('port')} {p.get('path') or ''}".rstrip()
    elif kind_of == "exec":
        what = "exec (command not kept)"
    else:
        what = kind_of or "?"
    timings = (
        f"delay={p['initial_delay_seconds']}s timeout={p['timeout_seconds']}s period={p['period_seconds']}s "
        f"#success={p['success_threshold']} #failure={p['failure_threshold']}"
    )
    return f"{kind}: {_clean(what)} {timings}"


def render_spec(doc: dict) -> str:
    """The `spec` and `workload` parts of a Pod document, kubectl-describe style."""
    s = doc.get("spec") or {}
    out = ["", "Spec:"]
    if not s.get("known"):
        out.append("  not read yet (comes with the Pod's next update)")
        return "\n".join(out)
    qos = _clean(s.get("qos_class") or "-") + ("" if s.get("qos_class_reported") else " (computed)")
    priority = s.get("priority")
    priority_class = _clean(s.get("priority_class_name") or "")
    out += [
        f"  Pod IP:             {_clean(s.get('pod_ip') or '-')}",
        f"  QoS class:          {qos}",
        f"  Service account:    {_clean(s.get('service_account') or '-')}",
        f"  Priority:           {'-' if priority is None else priority} {priority_class}".rstrip(),
        f"  Effective request:  {_pairs(s.get('effective_requests') or {})}",
        f"  Effective limit:    {_pairs(s.get('effective_limits') or {})}",
        f"  Node selector:      {_pairs(s.get('node_selector') or {})}",
        f"  Tolerations:        {'; '.join(_clean(t) for t in s.get('tolerations') or ()) or '-'}",
        f"  Affinity:           {'; '.join(_clean(a) for a in s.get('affinity') or ()) or '-'}",
    ]
    for d in s.get("init_dominates") or ():
        out.append(
            f"  Set by init:        {_clean(d['container'])} sets {_clean(d['resource'])}: "
            f"{_clean(d['request'])} vs apps {_clean(d['app'])} (+{_clean(d['margin'])})"
        )
    if s.get("effective_unreadable"):
        out.append(f"  (left out, unreadable quantity: {', '.join(map(_clean, s['effective_unreadable']))})")
    out.append("  Containers:")
    for c in s.get("containers") or ():
        out.append(f"    {_clean(c['kind'])} {_clean(c['name'])}")
        out.append(
            f"      requests {_pairs(c.get('requests') or {})}  limits {_pairs(c.get('limits') or {})}"
        )
        for p in c.get("probes") or ():
            out.append(f"      {_probe(p)}")
        if c.get("ports"):
            out.append(f"      ports {', '.join(map(_clean, c['ports']))}")
        refs = ", ".join(f"{_clean(r['kind'])} {_clean(r['name'])}" for r in c.get("config_refs") or ())
        if refs:
            out.append(f"      config from {refs}")
    out.append("  Volumes:")
    for v in s.get("volumes") or ():
        refs = ", ".join(f"{_clean(r['kind'])} {_clean(r['name'])}".rstrip() for r in v.get("refs") or ())
        out.append(
            f"    {_clean(v['name'])}: {_clean(v.get('type') or '-')}" + (f" -> {refs}" if refs else "")
        )
    out.extend(_workload(doc.get("workload")))
    return "\n".join(out)


def _workload(w: dict | None) -> list[str]:
    if not w:
        return []
    out = ["", f"Controlled by: {_clean(w['controller']['kind'])}/{_clean(w['controller']['name'])}"]
    job = w.get("job")
    if job:
        if job.get("source") == "live":
            conditions = "; ".join(map(_clean, job.get("conditions") or ()))
            out.append(
                f"  Job: backoffLimit {job.get('backoff_limit')}  failed {job.get('failed')}  "
                f"succeeded {job.get('succeeded')}  active {job.get('active')}"
                + (f"  ({conditions})" if conditions else "")
            )
        else:
            out.append(
                f"  Job's backoffLimit and failed count not read ({_clean(job.get('reason') or 'not asked')})"
            )
        out.append(f"  stored Pods of the Job that failed: {job.get('failed_pods_stored')}")
    rollout = w.get("rollout")
    if rollout:
        verdict = {True: "the newest rollout", False: "an older rollout", None: "newest rollout unknown"}
        line = f"  ReplicaSet {_clean(rollout['replica_set'])}: {verdict[rollout.get('newest')]}"
        if rollout.get("newest") is False and rollout.get("newest_replica_set"):
            line += f" (newest: {_clean(rollout['newest_replica_set'])})"
        if rollout.get("decided_by") == "revision":
            revisions = (
                f"{_clean(rollout['revision'])}, Deployment at {_clean(rollout['deployment_revision'])}"
            )
            line += f" [revision {revisions}]"
        elif rollout.get("decided_by") == "pods":
            line += " [from the stored Pods]"
        out.append(line)
    siblings = w.get("siblings") or []
    out.append(f"  Sibling Pods: {w.get('sibling_count', 0)} stored")
    for p in siblings:
        gone = "  deleted" if p.get("deleted_at") else ""
        out.append(
            f"    {_clean(p['name'])}  {_clean(p.get('status') or '-')}  {_clean(p.get('controller') or '')}"
            f"  created {p.get('created_at') or '-'}{gone}"
        )
    return out


def render_events(doc: dict) -> str:
    """The Pod's Events like kubectl describe's table: type, reason, age span, from, message."""
    events = doc.get("events") or []
    out = ["", f"Events ({len(events)}):"]
    if not events:
        out.append("  none seen")
        return "\n".join(out)
    header = ["TYPE", "REASON", "FIRST", "LAST", "COUNT", "FROM", "MESSAGE"]
    rows = [header]
    for e in events:
        about = e.get("about") or {}
        reason = _clean(e.get("reason") or "") + (
            f" (about {_clean(about.get('kind', ''))} {_clean(about.get('name', ''))})" if about else ""
        )
        source = _clean(e.get("source") or "") + (
            f" {{{_clean(e['container'])}}}" if e.get("container") else ""
        )
        message = _clean((e.get("message") or "").replace("\n", " ")).strip()
        rows.append(
            [
                _clean(e.get("type") or ""),
                reason,
                e.get("first_at") or "-",
                e.get("last_at") or "-",
                str(e.get("count", 1)),
                source.strip() or "-",
                message[:EVENT_MESSAGE_WIDTH] + ("…" if len(message) > EVENT_MESSAGE_WIDTH else ""),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for r in rows:
        out.append(
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        )
    return "\n".join(out)


__all__ = ["render_events", "render_spec"]
