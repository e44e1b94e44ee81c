"""Plain-text renderings of Pod lists and timeline documents for the terminal (`manage.py pods`)."""

from __future__ import annotations

from datetime import UTC, datetime

from pods.timeline import human_duration, parse_time
from pods.web.waterfall import is_live

LANE_WIDTH = 60
NAME_WIDTH = 26


def _clean(text: str) -> str:
    # Cluster strings are untrusted: keep control characters (and terminal escapes) off the screen.
    return "".join(ch if ch.isprintable() else "?" for ch in (text or ""))


RECORDED_MARK = "*"
RECORDED_NOTE = f"{RECORDED_MARK} a recording: IN STEP counts to the end of its data, not to now"


def render_list(rows: list[dict], *, now: datetime | None = None) -> str:
    """A kubectl-like table; time in step is measured at each row's `as_of` (a recording's end), and marked
    (RECORDED_NOTE under the table) when the row's cluster is a recording, as the page says "when
    recorded"; none for a deleted or finished Pod (`terminal`), whose step no longer runs, as on the page."""
    header = ["CLUSTER", "NAMESPACE", "NAME", "STATUS", "RESTARTS", "STEP", "IN STEP", "STUCK", "DIAGNOSIS"]
    table = [header]
    recorded = False
    for row in rows:
        finished = row.get("deleted_at") or row.get("terminal")
        since = None if finished else parse_time(row.get("step_since"))
        row_now = now or parse_time(row.get("as_of")) or datetime.now(UTC)
        in_step = human_duration((row_now - since).total_seconds()) if since else "-"
        if since and row.get("live") is False:
            in_step += RECORDED_MARK
            recorded = True
        diagnosis = row.get("diagnosis") or {}
        table.append(
            [
                _clean(row.get("cluster") or "-"),
                _clean(row["namespace"]),
                _clean(row["name"]),
                _clean(row["status"]),
                str(row["restarts"]),
                _clean(row.get("step") or ""),
                in_step,
                "yes" if row.get("stuck") else "",
                _clean(diagnosis.get("code", "")),
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join([*lines, RECORDED_NOTE] if recorded else lines)


def _start(attempt: dict) -> datetime | None:
    """An attempt's start to draw and measure from: none when the engine says it is no time (`start_known`
    false: the runtime's epoch for a StartError, kubernetes#120331)."""
    return parse_time(attempt.get("started_at")) if attempt.get("start_known", True) else None


def _span(doc: dict, now: datetime) -> tuple[datetime, datetime]:
    keys = ("created_at", "scheduled_at", "initialized_at", "ready_at", "deletion_requested_at", "deleted_at")
    times = [t for key in keys if (t := parse_time(doc.get(key)))]
    for c in doc["containers"]:
        for a in c["attempts"]:
            times.extend(t for t in (_start(a), parse_time(a.get("finished_at"))) if t)
        pull = c.get("pull") or {}
        times.extend(t for key in ("started_at", "finished_at") if (t := parse_time(pull.get(key))))
    if not times:
        return now, now
    start = min(times)
    end = max([*times, now]) if is_live(doc) else max(times)
    return start, end


def _lane(attempts: list[dict], start: datetime, scale: float, now: datetime) -> str:
    cells = [" "] * LANE_WIDTH

    def col(t: datetime) -> int:
        return min(LANE_WIDTH - 1, max(0, int((t - start).total_seconds() * scale)))

    previous_end: datetime | None = None
    for a in attempts:
        began, ended = _start(a), parse_time(a.get("finished_at"))
        if not a.get("known", True) or (began is None and ended is None):
            continue
        code = a.get("exit_code")
        mark = "=" if ended is None else ("#" if code == 0 else "x")
        if began is None:  # start unknown: drawn from the previous attempt's end (at most the lane start)
            mark = "?" if code != 0 else mark
            began = previous_end or start
        first, last = col(began), col(ended or now)
        for i in range(first, last + 1):
            cells[i] = mark
        previous_end = ended or previous_end
    return "".join(cells)


def render_document(doc: dict, *, now: datetime | None = None) -> str:
    """A readable waterfall: one lane per container; `#` succeeded, `x` failed, `=` running."""
    now = now or parse_time(doc.get("as_of")) or datetime.now(UTC)
    start, end = _span(doc, now)
    total = max((end - start).total_seconds(), 1.0)
    scale = (LANE_WIDTH - 1) / total
    owner = doc.get("owner") or {}
    out = [
        f"{_clean(doc['namespace'])}/{_clean(doc['name'])}  uid {doc['uid']}  "
        f"cluster {_clean(doc['cluster'])}",
        f"STATUS {_clean(doc['status'])}  RESTARTS {doc['restarts']}  phase {doc.get('phase') or '-'}  "
        f"node {_clean(doc.get('node') or '-')}  owner {_clean(owner.get('kind', '-'))}/"
        f"{_clean(owner.get('name', '-'))}",
    ]
    between = doc.get("deleted_between")
    if between:
        out.append(
            f"deleted between {between[0]} and {between[1]} (not seen: gone at a relist; exact time unknown)"
        )
    elif doc.get("deleted_at"):
        out.append(f"deleted at {doc['deleted_at']}")
    elif doc.get("deletion_requested_at"):
        out.append(f"deletion requested at {doc['deletion_requested_at']}")
    diagnosis = doc.get("diagnosis")
    if diagnosis:
        out.append(f"diagnosis: {diagnosis['code']}: {_clean(diagnosis['summary'])}")
    out.append("")
    out.append(
        " " * NAME_WIDTH + f"|0s{'':{LANE_WIDTH - 4 - len(human_duration(total))}}{human_duration(total)}|"
    )
    for c in doc["containers"]:
        label = f"{c['kind']} {c['name']}"[: NAME_WIDTH - 1].ljust(NAME_WIDTH)
        out.append(_clean(label) + "|" + _lane(c["attempts"], start, scale, now) + "|")
    out.append("")
    out.append("# succeeded  x failed  = running  ? failed, start unknown")
    for c in doc["containers"]:
        for a in c["attempts"]:
            out.append(_attempt_line(c, a))
    return "\n".join(out)


def _attempt_line(container: dict, a: dict) -> str:
    name = _clean(container["name"])
    count = int(a.get("count") or 1)
    numbers = f"#{a['number']}" + (f"–#{a['number'] + count - 1}" if count > 1 else "")
    prefix = f"  {name} {numbers}" + (f" (gen {a['generation']})" if a.get("generation") else "")
    if not a.get("known", True):
        if count > 1:
            return f"{prefix}: {count} attempts happened, details unknown"
        return f"{prefix}: happened, details unknown"
    began, ended = _start(a), parse_time(a.get("finished_at"))
    if began is None:
        took = "start unknown"
    else:
        took = human_duration((ended - began).total_seconds()) if ended else "running"
        if a.get("ended_unseen"):
            took = "ended, how unknown (a later attempt followed)"
    shown = a.get("started_at") if began is not None else f"? finished {a.get('finished_at')}"
    result = "" if a.get("exit_code") is None else f" exit {a['exit_code']} {_clean(a.get('reason') or '')}"
    message = _clean(a.get("message") or "").strip().replace("\n", " ")[:100]
    return f"{prefix}: {shown} {took}{result}" + (f" - {message}" if message else "")


def render_workloads(rows: list[dict]) -> str:
    """A kubectl-like table of workloads, stuck first, each diagnosis on its own indented line."""
    header = ["NAMESPACE", "KIND", "NAME", "PODS", "STATUS", "STUCK", "DIAGNOSIS"]
    table = [header]
    notes: dict[int, str] = {}
    for row in rows:
        diagnosis = row.get("diagnosis") or {}
        statuses = ", ".join(f"{_clean(status) or '?'} {n}" for status, n in row["pods_by_status"].items())
        table.append(
            [
                _clean(row["namespace"]),
                _clean(row["kind"]),
                _clean(row["name"]),
                str(row["pods"]),
                statuses or "-",
                "yes" if row.get("stuck") else "",
                _clean(diagnosis.get("code", "")),
            ]
        )
        if diagnosis:
            notes[len(table) - 1] = "  " + _clean(diagnosis.get("summary", ""))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for index, r in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if index in notes:
            lines.append(notes[index])
    return "\n".join(lines)
