"""`manage.py load_access FILE`: the issue's YAML shape, idempotent, replacing exactly the grants it
manages, and a bad file changing nothing with the lines that are wrong."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from access.grants import scope_for
from access.models import Grant

pytestmark = pytest.mark.django_db

FILE = """\
grants:
  - user: alice            # or group: team-a
    cluster: prod-eu       # "*" for every cluster
    namespaces: [shop, "pay-*"]   # omitted = the whole cluster
    logs: true
  - group: team-b
    cluster: "*"
"""


def load(path, *extra: str) -> str:
    out = io.StringIO()
    call_command("load_access", str(path), *extra, stdout=out)
    return out.getvalue()


def rows(managed_by: str) -> list[tuple]:
    return sorted(
        Grant.objects.filter(managed_by=managed_by).values_list(
            "id", "user__username", "group__name", "cluster", "namespaces", "logs"
        )
    )


def test_the_file_of_the_issue_loads_and_a_second_run_changes_nothing(tmp_path, django_user_model):
    path = tmp_path / "access.yaml"
    path.write_text(FILE)
    first = load(path)
    assert "2 grant(s) added, 0 removed, 0 unchanged" in first
    assert "created user alice" in first and "created group team-b" in first
    key = str(path.resolve())
    loaded = rows(key)
    assert [(u, g, c, n, logs) for _, u, g, c, n, logs in loaded] == [
        (None, "team-b", "*", None, False),
        ("alice", None, "prod-eu", ["pay-*", "shop"], True),
    ]
    alice = django_user_model.objects.get(username="alice")
    assert not alice.has_usable_password()
    scope = scope_for(alice)
    assert scope.allows("prod-eu", "payments") is False and scope.allows("prod-eu", "pay-eu")
    assert scope.allows_logs("prod-eu", "shop") and not scope.allows("prod-us", "shop")
    assert "0 grant(s) added, 0 removed, 2 unchanged" in load(path)
    assert rows(key) == loaded  # the same rows, ids included


def test_a_run_replaces_only_the_grants_it_manages(tmp_path, django_user_model):
    bob = django_user_model.objects.create_user("bob")
    by_hand = Grant.objects.create(user=bob, cluster="prod-eu", namespaces=["billing"])
    other = tmp_path / "other.yaml"
    other.write_text("grants:\n  - user: bob\n    cluster: staging\n")
    load(other)
    path = tmp_path / "access.yaml"
    path.write_text(FILE)
    load(path)
    path.write_text(
        "grants:\n  - group: team-b\n    cluster: '*'\n  - user: bob\n    cluster: prod-eu\n    logs: true\n"
    )
    assert "1 grant(s) added, 1 removed, 1 unchanged" in load(path)
    assert [(u, g, c) for _, u, g, c, _, _ in rows(str(path.resolve()))] == [
        (None, "team-b", "*"),
        ("bob", None, "prod-eu"),
    ]
    assert Grant.objects.filter(pk=by_hand.pk).exists()  # made in the admin: untouched
    assert [c for _, _, _, c, _, _ in rows(str(other.resolve()))] == ["staging"]  # another file's: untouched
    assert Group.objects.filter(name="team-b").exists()
    # --managed-by: the key stays when the file moves
    moved = tmp_path / "moved.yaml"
    moved.write_text(path.read_text())
    assert "2 grant(s) added" in load(moved, "--managed-by", "gitops:access")
    assert "0 grant(s) added, 0 removed, 2 unchanged" in load(moved, "--managed-by", "gitops:access")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("grants:\n  - user: alice\n    cluster: [oops\n", "line 3"),
        ("grant: []\n", "a list `grants:`"),
        (
            "grants:\n  - user: alice\n    group: ops\n    cluster: prod\n",
            "line 2 (grant 1): name a `user` or a `group`",
        ),
        ("grants:\n  - user: alice\n    cluster: prod\n  - user: bob\n", "line 4 (grant 2): `cluster`"),
        (
            "grants:\n  - user: alice\n    cluster: prod\n    namespaces: [Shop]\n",
            "is not a namespace name or pattern",
        ),
        ("grants:\n  - user: alice\n    cluster: prod\n    namespaces: []\n", "non-empty list"),
        ("grants:\n  - user: alice\n    cluster: prod\n    logs: 'yes'\n", "`logs` must be true or false"),
        ("grants:\n  - user: alice\n    cluster: prod\n    namspaces: [shop]\n", "unknown key(s) namspaces"),
    ],
)
def test_a_bad_file_changes_nothing_and_says_where(tmp_path, text, says):
    Grant.objects.create(group=Group.objects.create(name="ops"), cluster="prod", managed_by="x")
    path = tmp_path / "access.yaml"
    path.write_text(FILE)
    load(path, "--managed-by", "x")
    before = rows("x")
    path.write_text(text)
    with pytest.raises(CommandError) as raised:
        load(path, "--managed-by", "x")
    assert says in str(raised.value) and "nothing changed" in str(raised.value)
    assert rows("x") == before


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        load(tmp_path / "absent.yaml")
