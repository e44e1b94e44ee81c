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


def render_list(rows: list[dict], *, now: datetime | None = None) -> str:
    """A kubectl-like table; time in step is measured at each row's `as_of` (a recording's end)."""
    header = ["NAMESPACE", "NAME", "STATUS", "RESTARTS", "STEP", "IN STEP", "STUCK", "DIAGNOSIS"]
    table = [header]
    for row in rows:
        since = parse_time(row.get("step_since"))
        row_now = now or parse_time(row.get("as_of")) or datetime.now(UTC)
        diagnosis = row.get("diagnosis") or {}
        table.append(
            [
                _clean(row["namespace"]),
                _clean(row["name"]),
                _clean(row["status"]),
                str(row["restarts"]),
                _clean(row.get("step") or ""),
                human_duration((row_now - since).total_seconds()) if since else "-",
                "yes" if row.get("stuck") else "",
                _clean(diagnosis.get("code", "")),
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table
    )


def _span(doc: dict, now: datetime) -> tuple[datetime, datetime]:
    keys = ("created_at", "scheduled_at", "initialized_at", "ready_at", "deleted_at")
    times = [t for key in keys if (t := parse_time(doc.get(key)))]
    for c in doc["containers"]:
        for part in (*c["attempts"], c.get("pull") or {}):
            times.extend(t for key in ("started_at", "finished_at") if (t := parse_time(part.get(key))))
    if not times:
        return now, now
    start = min(times)
    end = max([*times, now]) if is_live(doc) else max(times)
    return start, end


def _lane(attempts: list[dict], start: datetime, scale: float, now: datetime) -> str:
    cells = [" "] * LANE_WIDTH

    def col(t: datetime) -> int:
        return min(LANE_WIDTH - 1, max(0, int((t - start).total_seconds() * scale)))

    for a in attempts:
        began, ended = parse_time(a.get("started_at")), parse_time(a.get("finished_at"))
        if not a.get("known", True) or began is None:
            continue
        code = a.get("exit_code")
        mark = "=" if ended is None else ("#" if code == 0 else "x")
        first, last = col(began), col(ended or now)
        for i in range(first, last + 1):
            cells[i] = mark
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
    if doc.get("deleted_at"):
        out.append(f"deleted at {doc['deleted_at']}")
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
    out.append("# succeeded  x failed  = running")
    for c in doc["containers"]:
        for a in c["attempts"]:
            out.append(_attempt_line(c, a))
    return "\n".join(out)


def _attempt_line(container: dict, a: dict) -> str:
    name = _clean(container["name"])
    prefix = f"  {name} #{a['number']}" + (f" (gen {a['generation']})" if a.get("generation") else "")
    if not a.get("known", True):
        return f"{prefix}: happened, details unknown"
    began, ended = parse_time(a.get("started_at")), parse_time(a.get("finished_at"))
    took = human_duration((ended - began).total_seconds()) if began and ended else "running"
    result = "" if a.get("exit_code") is None else f" exit {a['exit_code']} {_clean(a.get('reason') or '')}"
    message = _clean(a.get("message") or "").strip().replace("\n", " ")[:100]
    return f"{prefix}: {a.get('started_at') or '?'} {took}{result}" + (f" - {message}" if message else "")
