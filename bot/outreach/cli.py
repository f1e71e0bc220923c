"""`python -m bot outreach …`: campaigns, subscribers import, worker, report, kill switch."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

log = logging.getLogger(__name__)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    outreach = subparsers.add_parser("outreach", help="campaigns, reminders and their delivery")
    sub = outreach.add_subparsers(dest="outreach_command", required=True)

    create = sub.add_parser("create", help="create a draft campaign (checked; nothing is sent)")
    create.add_argument("--name", required=True)
    text = create.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="message; placeholders {commune} and {province}")
    text.add_argument("--text-file", type=Path, help="UTF-8 file holding the message")
    create.add_argument("--button", action="append", default=[], metavar="TEXT|https://…")
    create.add_argument("--channels", default="", help="telegram;zalo (empty: all)")
    create.add_argument("--provinces", default="", help="names separated by ';' (empty: all)")
    create.add_argument("--communes", default="", help="names separated by ';' (empty: all)")
    create.add_argument("--topics", default="", help="topic ids separated by ';' (empty: all)")
    create.add_argument("--start", help="local time 'YYYY-MM-DD HH:MM' (default: when sent)")
    create.add_argument("--end", help="local time after which nothing more is sent")
    create.set_defaults(func=_create)

    for name, helptext, func in (
        ("dry-run", "recipients by channel and the rendered message, without sending", _dry_run),
        ("pause", "pause a scheduled or running campaign", _pause),
        ("resume", "resume a paused campaign", _resume),
        ("cancel", "cancel a campaign for good", _cancel),
    ):
        command = sub.add_parser(name, help=helptext)
        command.add_argument("campaign", help="id or name")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)

    send = sub.add_parser("send", help="approve a draft: the worker sends it (now or at --at)")
    send.add_argument("campaign", help="id or name")
    send.add_argument("--at", help="local time 'YYYY-MM-DD HH:MM'")
    send.add_argument("--wait", action="store_true", help="show a progress bar until it is done")
    send.set_defaults(func=_send)

    listing = sub.add_parser("list", help="list campaigns")
    listing.set_defaults(func=_list)

    report = sub.add_parser("report", help="counts by state and channel, rate, failures, PNG chart")
    report.add_argument("campaign", nargs="?", help="id or name (default: every delivery)")
    report.add_argument("--chart", type=Path, default=Path("var/outreach-sends-per-minute.png"))
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=_report)

    worker = sub.add_parser("worker", help="send due deliveries (Ctrl-C stops cleanly)")
    worker.add_argument("--until-idle", action="store_true", help="stop when nothing is left to send now")
    worker.add_argument("--max-seconds", type=float)
    worker.add_argument("--name", help="worker id (default host:pid)")
    worker.add_argument("--progress", action="store_true", help="progress bar of messages handled")
    worker.add_argument("--stats-json", type=Path, help="write outcome counts and peak RSS here at exit")
    worker.set_defaults(func=_worker)

    kill = sub.add_parser("kill-switch", help="stop (on) or allow (off) all outreach sending")
    kill.add_argument("state", choices=["on", "off", "status"])
    kill.set_defaults(func=_kill_switch)

    subscribers = sub.add_parser("subscribers", help="subscriber list")
    subscribers_sub = subscribers.add_subparsers(dest="subscribers_command", required=True)
    importer = subscribers_sub.add_parser("import", help="import an opt-in CSV list")
    importer.add_argument("file", type=Path)
    importer.add_argument("--skip-invalid", action="store_true", help="import the good rows anyway")
    importer.add_argument("--json", action="store_true")
    importer.set_defaults(func=_import)


# --- helpers -----------------------------------------------------------------------------------
def _engine() -> Engine:
    from bot.db import default_engine

    return default_engine()


def parse_local_time(value: str | None, tz: str) -> datetime | None:
    """'YYYY-MM-DD HH:MM' in ``tz`` (or ISO with an offset) → naive UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"bad time {value!r}: expected 'YYYY-MM-DD HH:MM'") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text)


def _run(func: Any) -> Any:
    from bot.outreach.campaigns import CampaignError

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except CampaignError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (OperationalError, ProgrammingError) as exc:
            print(f"database error ({exc.orig}); did you run `python -m bot db upgrade`?", file=sys.stderr)
            return 3

    return wrapped


# --- commands ----------------------------------------------------------------------------------
@_run
def _create(args: argparse.Namespace) -> int:
    from bot.outreach.campaigns import CampaignError, create_campaign
    from bot.settings import get_settings

    tz = get_settings().outreach_timezone
    text = args.text if args.text is not None else args.text_file.read_text(encoding="utf-8")
    buttons = []
    for raw in args.button:
        label, sep, url = raw.partition("|")
        if not sep:
            raise CampaignError(f"button {raw!r}: write it as 'text|https://…'")
        buttons.append({"text": label.strip(), "url": url.strip()})
    segment = {
        "channels": _split(args.channels),
        "provinces": _split(args.provinces),
        "communes": _split(args.communes),
        "topics": _split(args.topics),
    }
    info = create_campaign(
        _engine(),
        args.name,
        text,
        segment,
        buttons,
        parse_local_time(args.start, tz),
        parse_local_time(args.end, tz),
    )
    print(f"Created draft campaign {info.id} {info.name!r}. Next: dry-run {info.id}, then send {info.id}.")
    return 0


@_run
def _dry_run(args: argparse.Namespace) -> int:
    from bot.outreach.campaigns import dry_run
    from bot.outreach.config import OutreachConfig
    from bot.outreach.models import utcnow
    from bot.settings import get_settings

    config = OutreachConfig.from_settings(get_settings())
    result = dry_run(_engine(), args.campaign, config.frequency_cap, utcnow() - config.frequency_window)
    by_channel = ", ".join(f"{k}: {v}" for k, v in sorted(result.by_channel.items())) or "none"
    text = (
        f"Campaign {result.campaign!r}: {result.total} recipients ({by_channel}); "
        f"{result.over_frequency_cap} of them already reached the frequency cap and would be skipped.\n"
        f"--- message as the first recipient sees it ---\n{result.sample}"
        + "".join(f"\n[{b['text']}] → {b['url']}" for b in result.sample_buttons)
    )
    _print(result.to_json(), args.json, text)
    return 0


def _transition(name: str) -> Any:
    @_run
    def command(args: argparse.Namespace) -> int:
        from bot.outreach import campaigns

        info = getattr(campaigns, f"{name}_campaign")(_engine(), args.campaign)
        _print(info.to_json(), args.json, f"Campaign {info.id} {info.name!r} is now {info.state}.")
        return 0

    return command


_pause, _resume, _cancel = _transition("pause"), _transition("resume"), _transition("cancel")


@_run
def _send(args: argparse.Namespace) -> int:
    from bot.outreach.campaigns import campaign_progress, get_campaign, send_campaign
    from bot.outreach.models import CampaignState, DeliveryState
    from bot.settings import get_settings

    engine = _engine()
    info = send_campaign(engine, args.campaign, parse_local_time(args.at, get_settings().outreach_timezone))
    print(f"Campaign {info.id} {info.name!r} is scheduled for {info.start_at:%Y-%m-%d %H:%M} UTC.")
    if not args.wait:
        print("The worker (`python -m bot outreach worker`) sends it.")
        return 0
    from tqdm import tqdm

    with tqdm(desc=info.name, unit="msg") as bar:
        while True:
            state = get_campaign(engine, info.id)
            progress = campaign_progress(engine, info.id)
            done = sum(n for s, n in progress.items() if s in DeliveryState.FINAL)
            bar.total = state.recipients or None
            bar.n = done
            bar.set_postfix({k: v for k, v in progress.items() if k != DeliveryState.QUEUED})
            bar.refresh()
            if state.state in (CampaignState.DONE, CampaignState.CANCELLED):
                break
            time.sleep(1)
    return 0


@_run
def _list(args: argparse.Namespace) -> int:
    from bot.outreach.campaigns import list_campaigns

    for info in list_campaigns(_engine()):
        print(f"{info.id:5d}  {info.state:<10} {info.recipients:8d}  {info.name}")
    return 0


@_run
def _report(args: argparse.Namespace) -> int:
    from bot.outreach.report import build_report, write_chart

    report = build_report(_engine(), args.campaign)
    chart = write_chart(report, args.chart)
    _print(report.to_json(), args.json, report.render_text() + f"\n\nChart: {chart}")
    return 0


@_run
def _worker(args: argparse.Namespace) -> int:
    from bot.outreach.config import OutreachConfig
    from bot.outreach.senders.factory import build_senders
    from bot.outreach.worker import Worker, WorkerLockError
    from bot.settings import SettingsError, get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        senders = build_senders(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = None
    if args.progress:
        from tqdm import tqdm

        bar = tqdm(desc="outreach", unit="msg")
    worker = Worker(
        _engine(),
        senders,
        OutreachConfig.from_settings(settings),
        worker_id=args.name,
        on_result=(lambda kind: bar.update(1)) if bar is not None else None,
        timezone_name=settings.outreach_timezone,
    )
    try:
        stats = asyncio.run(worker.run(until_idle=args.until_idle, max_seconds=args.max_seconds))
    except WorkerLockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if args.stats_json:
        args.stats_json.write_text(json.dumps(stats.to_json()), encoding="utf-8")
    print(f"Worker stopped ({stats.stopped_because or 'signal'}): {stats.outcomes}")
    return 0


@_run
def _kill_switch(args: argparse.Namespace) -> int:
    from bot.outreach.guards import kill_switch_on, set_kill_switch
    from bot.settings import get_settings

    engine = _engine()
    if args.state != "status":
        set_kill_switch(engine, args.state == "on")
    setting = get_settings().outreach_kill_switch
    on = kill_switch_on(engine, setting)
    print(
        f"Kill switch is {'ON: nothing is sent' if on else 'off'}"
        + (" (OUTREACH_KILL_SWITCH)" if setting else "")
    )
    return 0


@_run
def _import(args: argparse.Namespace) -> int:
    from bot.outreach.importer import ImportFileError, import_subscribers

    try:
        report = import_subscribers(_engine(), args.file, skip_invalid=args.skip_invalid)
    except ImportFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _print(report.to_json(), True, "")
    else:
        for line, reason in report.bad_rows:
            print(f"line {line}: {reason}", file=sys.stderr)
        if report.bad_count > len(report.bad_rows):
            print(f"… {report.bad_count - len(report.bad_rows)} more bad rows", file=sys.stderr)
        if report.applied:
            print(
                f"Imported {args.file}: {report.created} new, {report.updated} updated, "
                f"{report.unchanged} unchanged, {report.kept_unsubscribed} kept unsubscribed, "
                f"{report.bad_count} bad rows skipped."
            )
        else:
            print(
                f"Nothing imported: {report.bad_count} bad rows out of {report.rows}. Fix them, or rerun "
                "with --skip-invalid to import only the good rows.",
                file=sys.stderr,
            )
    return 0 if report.applied else 1
