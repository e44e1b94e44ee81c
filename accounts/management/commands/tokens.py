"""`manage.py tokens create USER --name N [--days D]` (prints the key once), `tokens list USER`,
`tokens revoke USER LOOKUP` (the 8 characters after `isc_`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import api_tokens
from accounts.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke a user's read-only API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print its key (shown this once).")
        create.add_argument("user")
        create.add_argument("--name", required=True)
        create.add_argument("--days", type=int, default=90, help="Days until it expires (default 90).")
        listing = sub.add_parser("list", help="The user's tokens, one a line.")
        listing.add_argument("user")
        revoke = sub.add_parser("revoke", help="Revoke a token by its lookup (isc_<lookup>_…).")
        revoke.add_argument("user")
        revoke.add_argument("lookup")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        action = options["action"]
        if action == "create":
            if options["days"] < 1:
                raise CommandError("--days must be 1 or more")
            expires_at = timezone.now() + timedelta(days=options["days"])
            try:
                _, key = api_tokens.create(user, options["name"], expires_at)
            except api_tokens.TokenError as exc:
                raise CommandError(str(exc))
            self.stdout.write(key)
        elif action == "list":
            now = timezone.now()
            for t in ApiToken.objects.filter(user=user):
                used = t.last_used_at.isoformat() if t.last_used_at else "never"
                fields = [f"isc_{t.lookup}_…", t.name, t.state(now), f"expires {t.expires_at.isoformat()}"]
                self.stdout.write("\t".join([*fields, f"used {used}"]))
        else:
            lookup = options["lookup"].removeprefix("isc_").split("_")[0]
            token = ApiToken.objects.filter(user=user, lookup=lookup).first()
            if token is None:
                raise CommandError(f"{user.get_username()} has no token {lookup}")
            if not api_tokens.revoke(token):
                raise CommandError(f"token {lookup} was already revoked")
            self.stdout.write(f"revoked isc_{lookup}_…")
