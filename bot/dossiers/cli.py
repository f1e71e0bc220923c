"""`python -m bot dossiers import|poll|notify`.

``import`` and ``poll`` bring the database schema up to date first (``bot.db.migrate``: Alembic
``upgrade heads``, a no-op when current), so they work on a fresh ``DATABASE_URL``.
Exit codes: 0 done; 1 rows rejected (nothing imported) or some notifications failed; 2 the file or
the settings cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import SettingsError, get_settings


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    dossiers = subparsers.add_parser("dossiers", help="dossier store: import, poll, notify")
    sub = dossiers.add_subparsers(dest="dossiers_command", required=True)

    imp = sub.add_parser("import", help="import the one-stop-shop CSV export (idempotent upsert)")
    imp.add_argument("file", type=Path, help="UTF-8 CSV with the export's header (ma_ho_so, …)")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows even if some rows are bad"
    )
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    imp.add_argument("--no-notify", action="store_true", help="do not notify subscribers of changes")
    imp.set_defaults(func=_import)

    poll = sub.add_parser("poll", help="refresh subscribed dossiers from the HTTP provider and notify")
    poll.add_argument("--no-notify", action="store_true", help="record changes without notifying")
    poll.set_defaults(func=_poll)

    notify = sub.add_parser("notify", help="send status-change notifications not yet delivered")
    notify.set_defaults(func=_notify)


def _import(args: argparse.Namespace) -> int:
    from bot.db import default_engine, migrate
    from bot.dossiers.csv_import import ImportFileError, import_export
    from bot.dossiers.factory import build_notifier, contacts_from
    from bot.dossiers.notifications import notify_pending
    from bot.dossiers.store import DossierStore

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    migrate()
    engine = default_engine()
    try:
        result = import_export(
            args.file,
            engine,
            pepper=settings.dossier_phone_pepper.get_secret_value(),
            skip_invalid=args.skip_invalid,
            progress=not args.no_progress,
        )
    except ImportFileError as exc:
        print(f"Không nhập được {args.file}: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if not result.imported:
        print(
            f"Không nhập gì: {len(result.problems)}/{result.rows} dòng lỗi. "
            "Sửa các dòng trên, hoặc chạy lại với --skip-invalid để nhập các dòng hợp lệ.",
            file=sys.stderr,
        )
        return 1
    report = result.report
    changed = sum(1 for change in report.status_changes if change.old_status is not None)
    print(
        f"Đã nhập {args.file}: {result.rows} dòng — {report.inserted} mới, {report.updated} cập nhật, "
        f"{report.unchanged} không đổi, {changed} hồ sơ đổi trạng thái, "
        f"{len(result.problems)} dòng lỗi bỏ qua."
    )
    if args.no_notify or not changed:
        return 0
    sent = notify_pending(DossierStore(engine), build_notifier(settings), contacts_from(settings))
    print(f"Thông báo: {sent.sent} đã gửi, {sent.failed} chưa gửi được (sẽ thử lại).")
    return 0


def _poll(args: argparse.Namespace) -> int:
    from bot.db import default_engine, migrate
    from bot.dossiers.factory import build_http_provider, build_notifier, contacts_from
    from bot.dossiers.poll import poll_subscribed
    from bot.dossiers.store import DossierStore

    try:
        settings = get_settings()
        provider = build_http_provider(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    migrate()
    notifier = None if args.no_notify else build_notifier(settings)
    report = poll_subscribed(DossierStore(default_engine()), provider, notifier, contacts_from(settings))
    print(
        f"Đã kiểm tra {report.checked} hồ sơ được theo dõi: {report.upsert.updated} có cập nhật, "
        f"{report.not_found} không còn trên hệ thống, {report.unavailable} không lấy được; "
        f"thông báo {report.notified.sent} đã gửi, {report.notified.failed} chưa gửi được."
    )
    return 1 if report.notified.failed else 0


def _notify(args: argparse.Namespace) -> int:
    from bot.db import default_engine, migrate
    from bot.dossiers.factory import build_notifier, contacts_from
    from bot.dossiers.notifications import notify_pending
    from bot.dossiers.store import DossierStore

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    migrate()
    sent = notify_pending(DossierStore(default_engine()), build_notifier(settings), contacts_from(settings))
    print(f"Thông báo: {sent.sent} đã gửi, {sent.failed} chưa gửi được.")
    return 1 if sent.failed else 0
