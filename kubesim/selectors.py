"""Label and field selectors with the Kubernetes query-string grammar.

``parse_label_selector("app=web,tier!=db,env in (a,b),!legacy,owner")`` and
``parse_field_selector("metadata.name=x,status.phase!=Running")`` return predicates over an object
dict; both raise :class:`SelectorError` (served as HTTP 400) on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Predicate = Callable[[dict], bool]

_SET_RE = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")

FIELD_LABELS = {
    "pods": {
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "status.phase",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "events": {
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
}


class SelectorError(ValueError):
    pass


def _split_terms(text: str) -> list[str]:
    terms, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


def _label_term(term: str) -> Predicate:
    m = _SET_RE.match(term)
    if m:
        key, op, raw = m.group(1), m.group(2), m.group(3)
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda o: ((o["metadata"].get("labels") or {}).get(key)) in values
        return lambda o: ((o["metadata"].get("labels") or {}).get(key)) not in values
    if "!=" in term:
        key, value = (p.strip() for p in term.split("!=", 1))
        return lambda o: (o["metadata"].get("labels") or {}).get(key) != value
    if "==" in term or "=" in term:
        key, value = (p.strip() for p in re.split("==|=", term, maxsplit=1))
        if not key:
            raise SelectorError(f"invalid label selector term {term!r}")
        return lambda o: (o["metadata"].get("labels") or {}).get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda o: key not in (o["metadata"].get("labels") or {})
    if re.fullmatch(r"[A-Za-z0-9_./-]+", term):
        return lambda o: term in (o["metadata"].get("labels") or {})
    raise SelectorError(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str | None) -> Predicate | None:
    if not text:
        return None
    preds = [_label_term(t) for t in _split_terms(text)]
    return lambda o: all(p(o) for p in preds)


def field_value(obj: dict, path: str) -> str:
    cur: object = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    return cur if isinstance(cur, str) else str(cur)


def parse_field_selector(text: str | None, resource: str) -> Predicate | None:
    if not text:
        return None
    allowed = FIELD_LABELS.get(resource, {"metadata.name", "metadata.namespace"})
    preds: list[Predicate] = []
    for term in _split_terms(text):
        neg = "!=" in term
        parts = term.split("!=", 1) if neg else re.split("==|=", term, maxsplit=1)
        if len(parts) != 2:
            raise SelectorError(f"invalid field selector: {term!r}")
        path, value = parts[0].strip(), parts[1].strip()
        if path not in allowed:
            raise SelectorError(f"field label not supported: {path}")
        if neg:
            preds.append(lambda o, p=path, v=value: field_value(o, p) != v)
        else:
            preds.append(lambda o, p=path, v=value: field_value(o, p) == v)
    return lambda o: all(p(o) for p in preds)
