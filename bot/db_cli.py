"""`python -m bot db upgrade`: apply every pending migration."""

from __future__ import annotations

import argparse

from bot.db import migrate


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply every pending migration (all feature branches)")
    upgrade.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    migrate()
    print("Database schema is up to date.")
    return 0
