"""Grants from a YAML file (`manage.py load_access FILE`, for GitOps), in the shape of docs/operations.md
"Access control":

    grants:
      - user: alice            # or group: team-a
        cluster: prod-eu       # "*" for every cluster
        namespaces: [shop, "pay-*"]   # omitted = the whole cluster
        logs: true

A run replaces exactly the grants it manages (those whose `managed_by` is its key, by default the file's
absolute path): the ones the file no longer lists go, new ones come, unchanged ones stay as they are, so a
second run of the same file changes nothing. A bad file changes nothing and says where it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from access.models import Grant
from access.scope import PatternError, check_pattern

FIELDS = {"user", "group", "cluster", "namespaces", "logs"}
LINE = "__line__"


class AccessFileError(ValueError):
    """What is wrong with an access file, one problem a line, each with its line number."""


@dataclass(frozen=True, slots=True, order=True)
class Wanted:
    kind: str  # "user" or "group"
    name: str
    cluster: str
    namespaces: tuple[str, ...] | None
    logs: bool


class _Loader(yaml.SafeLoader):
    """Safe YAML whose mappings remember their line (1-based) under `LINE`."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def parse(text: str) -> list[Wanted]:
    """The grants of an access file's text, or AccessFileError listing every problem with its line."""
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark, context = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        if context is not None and mark is not None and context.line != mark.line:
            where += f" ({getattr(exc, 'context', None) or 'in what starts'} on line {context.line + 1})"
        where = f"{where}: " if where else ""
        raise AccessFileError(f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("grants"), list):
        raise AccessFileError("line 1: the file must be a mapping with a list `grants:`")
    unknown = set(document) - {"grants", LINE}
    if unknown:
        raise AccessFileError(f"line {document[LINE]}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    problems: list[str] = []
    found: list[Wanted] = []
    for index, item in enumerate(document["grants"], 1):
        if not isinstance(item, dict):
            problems.append(f"grant {index}: must be a mapping (user or group, cluster, namespaces, logs)")
            continue
        line = item.pop(LINE)
        where = f"line {line} (grant {index})"
        try:
            found.append(_wanted(item))
        except AccessFileError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise AccessFileError("\n".join(problems))
    return sorted(set(found))


def _wanted(item: dict) -> Wanted:
    unknown = set(item) - FIELDS
    if unknown:
        raise AccessFileError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if ("user" in item) == ("group" in item):
        raise AccessFileError("name a `user` or a `group` (one of them)")
    kind = "user" if "user" in item else "group"
    name = item[kind]
    if not isinstance(name, str) or not name.strip():
        raise AccessFileError(f"`{kind}` must be a name")
    cluster = item.get("cluster")
    if not isinstance(cluster, str) or not cluster.strip():
        raise AccessFileError('`cluster` must be a cluster\'s name or "*"')
    namespaces = item.get("namespaces")
    if namespaces is not None:
        if not isinstance(namespaces, list) or not namespaces:
            raise AccessFileError("`namespaces` must be a non-empty list (omit it for the whole cluster)")
        try:
            namespaces = tuple(sorted({check_pattern(p) for p in namespaces}))
        except PatternError as exc:
            raise AccessFileError(f"`namespaces`: {exc}") from None
    logs = item.get("logs", False)
    if not isinstance(logs, bool):
        raise AccessFileError("`logs` must be true or false")
    return Wanted(kind, name.strip(), cluster.strip(), namespaces, logs)


@dataclass(frozen=True, slots=True)
class Outcome:
    added: int
    removed: int
    kept: int
    users_created: tuple[str, ...]
    groups_created: tuple[str, ...]


def _current(grant: Grant) -> Wanted:
    if grant.user is not None:
        kind, name = "user", grant.user.get_username()
    else:
        assert grant.group is not None  # a grant is for a user or a group (grant_user_or_group)
        kind, name = "group", grant.group.name
    namespaces = tuple(sorted(grant.namespaces)) if grant.namespaces else None
    return Wanted(kind, name, grant.cluster, namespaces, grant.logs)


@transaction.atomic
def apply(wanted: list[Wanted], *, managed_by: str) -> Outcome:
    """Make the grants managed by `managed_by` exactly `wanted`. Users and groups named but unknown are
    created (a user without a usable password: they sign in through single sign-on, or an admin sets
    one), so grants can be written before a first sign-in."""
    users = get_user_model()
    mine = list(Grant.objects.filter(managed_by=managed_by).select_related("user", "group"))
    have: dict[Wanted, list[Grant]] = {}
    for grant in mine:
        have.setdefault(_current(grant), []).append(grant)
    removed = 0
    for key, grants in have.items():
        # the ones the file no longer lists, and any duplicate of one it does
        extra = grants if key not in wanted else grants[1:]
        for grant in extra:
            grant.delete()
            removed += 1
    users_created: list[str] = []
    groups_created: list[str] = []
    added = 0
    for item in wanted:
        if item in have:
            continue
        if item.kind == "user":
            user = users.objects.filter(**{users.USERNAME_FIELD: item.name}).first()
            if user is None:
                user = users(**{users.USERNAME_FIELD: item.name})
                user.set_unusable_password()
                user.save()
                users_created.append(item.name)
            group = None
        else:
            user = None
            group, created = Group.objects.get_or_create(name=item.name)
            if created:
                groups_created.append(item.name)
        Grant.objects.create(
            user=user,
            group=group,
            cluster=item.cluster,
            namespaces=list(item.namespaces) if item.namespaces else None,
            logs=item.logs,
            managed_by=managed_by,
        )
        added += 1
    return Outcome(
        added=added,
        removed=removed,
        kept=sum(1 for item in wanted if item in have),
        users_created=tuple(users_created),
        groups_created=tuple(groups_created),
    )
