"""One `serve --demo` per database (issue 11, item 3): `DemoClaim` is a PostgreSQL advisory lock (the
database the tests run on) or a lock on a file beside the SQLite database; a second claim on the same
database fails until the first lets go, and the operating system lets go of both when a process ends."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_postgresql_holds_one_demo_at_a_time():
    from pods.management.commands._allinone import DemoClaim

    first, second = DemoClaim(), DemoClaim()
    if first.database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the tests' database is not PostgreSQL")
    assert first.acquire()
    try:
        assert not second.acquire()
        assert "the database" in second.describe() and "password" not in second.describe().lower()
    finally:
        first.stop(1)
    assert second.acquire(), "free again once the first stopped"
    second.stop(1)


def test_sqlite_holds_one_demo_at_a_time(tmp_path):
    from pods.management.commands._allinone import DemoClaim

    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "initscope.sqlite3")}
    first, second = DemoClaim(), DemoClaim()
    first.database = second.database = database
    assert first.acquire()
    first.note("pid 123, http://127.0.0.1:8000/")
    assert not second.acquire()
    assert second.holder() == "pid 123, http://127.0.0.1:8000/"
    assert str(tmp_path / "initscope.sqlite3") in second.describe()
    first.stop(1)
    assert second.acquire()
    second.stop(1)
