"""The console's outreach endpoints: a Sanic blueprint (JSON in/out) behind the console's login.

    app.blueprint(outreach_blueprint(authenticate))     # mounted by the console

``authenticate(request)`` returns (or resolves to) True for a signed-in staff member; anything
else answers 401. Every database call runs in a thread so the server keeps serving.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw
from sqlalchemy.engine import Engine

from bot import serving
from bot.outreach import campaigns
from bot.outreach.campaigns import CampaignError
from bot.outreach.config import OutreachConfig
from bot.outreach.guards import kill_switch_on, set_kill_switch
from bot.outreach.importer import ImportFileError, import_subscribers
from bot.outreach.models import utcnow
from bot.outreach.report import build_report, write_chart
from bot.outreach.topics import TOPICS
from bot.settings import Settings, get_settings

Authenticate = Callable[[Request], Union[Awaitable[bool], bool]]
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _time(value: Any, tz: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise CampaignError("times must be ISO strings such as '2026-05-01T09:00' (local time)")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CampaignError(f"bad time {value!r}: use ISO format, e.g. 2026-05-01T09:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def outreach_blueprint(
    authenticate: Authenticate,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    url_prefix: str = "/api/outreach",
) -> Blueprint:
    bp = Blueprint("outreach_api", url_prefix=url_prefix)

    def db() -> Engine:
        if engine is not None:
            return engine
        from bot.db import default_engine

        return default_engine()

    def conf() -> Settings:
        return settings or get_settings()

    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def body(request: Request) -> dict[str, Any]:
        data = request.json if request.body else {}
        if not isinstance(data, dict):
            raise CampaignError("expected a JSON object")
        return data

    @bp.middleware("request")
    async def require_login(request: Request) -> HTTPResponse | None:
        verdict = authenticate(request)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict is not True:
            return json({"error": "unauthorized"}, status=401)
        return None

    @bp.exception(CampaignError)
    async def bad_request(request: Request, exc: Exception) -> HTTPResponse:
        return json({"error": str(exc)}, status=404 if str(exc).startswith("no campaign") else 400)

    @bp.get("/topics")
    async def topics(request: Request) -> HTTPResponse:
        return json([{"id": t.id, "label": t.label} for t in TOPICS])

    @bp.get("/campaigns")
    async def list_all(request: Request) -> HTTPResponse:
        infos = await run(campaigns.list_campaigns, db())
        return json([info.to_json() for info in infos])

    @bp.post("/campaigns")
    async def create(request: Request) -> HTTPResponse:
        data = body(request)
        tz = conf().outreach_timezone
        info = await run(
            campaigns.create_campaign,
            db(),
            str(data.get("name") or ""),
            str(data.get("text") or ""),
            data.get("segment") or {},
            data.get("buttons") or [],
            _time(data.get("start_at"), tz),
            _time(data.get("end_at"), tz),
        )
        return json(info.to_json(), status=201)

    @bp.get("/campaigns/<ref>")
    async def show(request: Request, ref: str) -> HTTPResponse:
        info = await run(campaigns.get_campaign, db(), ref)
        progress = await run(campaigns.campaign_progress, db(), ref)
        return json({**info.to_json(), "progress": progress})

    @bp.post("/campaigns/<ref>/dry-run")
    async def dry_run(request: Request, ref: str) -> HTTPResponse:
        config = OutreachConfig.from_settings(conf())
        result = await run(
            campaigns.dry_run, db(), ref, config.frequency_cap, utcnow() - config.frequency_window
        )
        return json(result.to_json())

    @bp.post("/campaigns/<ref>/send")
    async def send(request: Request, ref: str) -> HTTPResponse:
        at = _time(body(request).get("at"), conf().outreach_timezone)
        return json((await run(campaigns.send_campaign, db(), ref, at)).to_json())

    async def transition(name: str, ref: str) -> HTTPResponse:
        info = await run(getattr(campaigns, f"{name}_campaign"), db(), ref)
        return json(info.to_json())

    @bp.post("/campaigns/<ref>/pause")
    async def pause(request: Request, ref: str) -> HTTPResponse:
        return await transition("pause", ref)

    @bp.post("/campaigns/<ref>/resume")
    async def resume(request: Request, ref: str) -> HTTPResponse:
        return await transition("resume", ref)

    @bp.post("/campaigns/<ref>/cancel")
    async def cancel(request: Request, ref: str) -> HTTPResponse:
        return await transition("cancel", ref)

    @bp.get("/report")
    async def report(request: Request) -> HTTPResponse:
        result = await run(build_report, db(), request.args.get("campaign"))
        return json(result.to_json())

    @bp.get("/report/chart.png")
    async def chart(request: Request) -> HTTPResponse:
        result = await run(build_report, db(), request.args.get("campaign"))
        with tempfile.TemporaryDirectory() as folder:
            path = await run(write_chart, result, Path(folder) / "chart.png")
            return raw(path.read_bytes(), content_type="image/png")

    @bp.get("/kill-switch")
    async def kill_switch(request: Request) -> HTTPResponse:
        on = await run(kill_switch_on, db(), conf().outreach_kill_switch)
        return json({"on": on, "setting": conf().outreach_kill_switch})

    @bp.post("/kill-switch")
    async def set_kill(request: Request) -> HTTPResponse:
        data = body(request)
        if not isinstance(data.get("on"), bool):
            raise CampaignError('expected {"on": true} or {"on": false}')
        await run(set_kill_switch, db(), data["on"])
        on = await run(kill_switch_on, db(), conf().outreach_kill_switch)
        return json({"on": on, "setting": conf().outreach_kill_switch})

    @bp.post("/subscribers/import")
    async def import_csv(request: Request) -> HTTPResponse:
        """Body: the CSV file (text/csv); ?skip_invalid=1 imports the good rows despite bad ones."""
        if len(request.body) > MAX_IMPORT_BYTES:
            return json({"error": "file too large (max 20 MB); use the CLI"}, status=413)
        skip = request.args.get("skip_invalid", "") in ("1", "true", "yes")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "import.csv"
            path.write_bytes(request.body)
            try:
                result = await run(import_subscribers, db(), path, skip_invalid=skip)
            except ImportFileError as exc:
                return json({"error": str(exc)}, status=400)
        return json(result.to_json(), status=200 if result.applied else 422)

    serving.close_kept_sessions_on_stop(bp)
    return bp
