"""`python -m bot …`: the operator's command line (dossiers, outreach, staff, database)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines `add_commands(subparsers)`; its sub-commands set `func(args) -> int`.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.db_cli",
    "bot.dossiers.cli",
    "bot.console.cli",
    "bot.outreach.cli",
    "bot.channels.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Trợ lý dịch vụ công — operator commands"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
