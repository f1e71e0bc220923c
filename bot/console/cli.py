"""`python -m bot staff …`: hotline console accounts (add, list, disable, enable, passwd)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Callable

from bot.console.staff import StaffError, StaffStore


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    staff = subparsers.add_parser("staff", help="hotline console staff accounts")
    sub = staff.add_subparsers(dest="staff_command", required=True)

    add = sub.add_parser("add", help="create an account (asks for the password, or reads it from stdin)")
    add.add_argument("name", help="login name, e.g. 'Nguyễn Lan' (case-insensitive)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_add)

    passwd = sub.add_parser("passwd", help="set a new password (signs the account out everywhere)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(func=_passwd)

    listing = sub.add_parser("list", help="list accounts")
    listing.set_defaults(func=_list)

    disable = sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("name")
    disable.set_defaults(func=_disable)

    enable = sub.add_parser("enable", help="enable a disabled account")
    enable.add_argument("name")
    enable.set_defaults(func=_enable)


def _store() -> StaffStore:
    from bot.db import default_engine, migrate
    from bot.settings import get_settings

    migrate()  # the console tables may not exist yet on a fresh install
    return StaffStore(default_engine(), min_password_length=get_settings().console_min_password_length)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise StaffError("the two passwords differ")
    return first


def _run(action: str, func: Callable[[], object]) -> int:
    try:
        result = func()
    except StaffError as exc:
        print(f"Cannot {action}: {exc}.", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0


def _add(args: argparse.Namespace) -> int:
    def do() -> int:
        password = _read_password(args.password_stdin)
        account = _store().add(args.name, password)
        print(f"Staff account {account.name!r} created.")
        return 0

    return _run("add the account", do)


def _passwd(args: argparse.Namespace) -> int:
    def do() -> int:
        password = _read_password(args.password_stdin)
        store = _store()
        account = store.set_password(args.name, password)
        print(f"Password of {account.name!r} changed.")
        return 0

    return _run("change the password", do)


def _list(args: argparse.Namespace) -> int:
    accounts = _store().list()
    if not accounts:
        print("No staff accounts yet: python -m bot staff add NAME")
    for account in accounts:
        state = "active" if account.active else "disabled"
        print(f"{account.name}\t{state}\tcreated {account.created_at:%Y-%m-%d %H:%M} UTC")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _run(
        "disable the account", lambda: print(f"Staff account {_store().disable(args.name).name!r} disabled.")
    )


def _enable(args: argparse.Namespace) -> int:
    return _run(
        "enable the account", lambda: print(f"Staff account {_store().enable(args.name).name!r} enabled.")
    )
