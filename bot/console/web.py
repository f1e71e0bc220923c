"""The console's routes (under ``/webhooks/console/``): login, logout, the page, its JSON API.

Every route except the login form, the stylesheet and the citizens' reply poll requires a signed-in
staff member: pages redirect to the login form, the API answers 401 JSON; a state-changing request
without the session's CSRF token gets 403.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import serving
from bot.console import auth, relay
from bot.console.cards import search_cards
from bot.console.handoff import MAX_REPLY_TEXT, RELEASE_NOTICE, mask_sender
from bot.console.pages import (
    LOGIN_ERRORS,
    SECURITY_HEADERS,
    STATIC_FILES,
    app_page,
    read_static,
    render_login,
)
from bot.console.services import ConsoleServices
from bot.console.staff import name_key

logger = logging.getLogger(__name__)

MAX_CHAT_TEXT = 2000
MAX_QUERY = 300
_CONVERSATION_RE = re.compile(r"^[A-Za-z0-9]{1,24}$")
LOGIN_FORM_SECONDS = 3600

NOT_SIGNED_IN = "Bạn chưa đăng nhập hoặc phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."
BAD_CSRF = "Yêu cầu không hợp lệ (thiếu mã bảo vệ). Vui lòng tải lại trang."
BAD_REQUEST = "Yêu cầu không hợp lệ."
UNAVAILABLE = "Hệ thống đang bận, vui lòng thử lại sau ít phút."

TAKE_MESSAGES = {
    "taken": "Bạn đã nhận cuộc trò chuyện này.",
    "already_yours": "Bạn đang phụ trách cuộc trò chuyện này.",
    "taken_by_other": "Cán bộ khác đang phụ trách cuộc trò chuyện này.",
    "closed": "Cuộc trò chuyện này đã được trả lại cho trợ lý.",
    "not_found": "Không tìm thấy yêu cầu hỗ trợ này.",
}
REPLY_MESSAGES = {
    "sent": "Đã gửi tới người dân.",
    "stored": "Đã lưu; người dân sẽ nhận khi ứng dụng web của họ kiểm tra tin mới.",
    "failed": "Chưa gửi được tới kênh của người dân. Vui lòng thử lại.",
    "empty": "Vui lòng nhập nội dung trả lời.",
    "too_long": f"Nội dung quá dài (tối đa {MAX_REPLY_TEXT} ký tự).",
    "taken_by_other": TAKE_MESSAGES["taken_by_other"],
    "closed": TAKE_MESSAGES["closed"],
    "not_found": TAKE_MESSAGES["not_found"],
}
RELEASE_MESSAGES = {
    "released": "Đã trả cuộc trò chuyện lại cho trợ lý.",
    "already_closed": TAKE_MESSAGES["closed"],
    "not_found": TAKE_MESSAGES["not_found"],
    "unavailable": "Trợ lý chưa sẵn sàng nên chưa trả lại được. Vui lòng thử lại sau.",
}

Handler = Callable[..., Awaitable[HTTPResponse]]


def _error(status: int, message: str, **extra: Any) -> HTTPResponse:
    return response.json({"error": message, **extra}, status=status)


def _json_body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except Exception:  # Sanic raises on malformed JSON
        return {}
    return body if isinstance(body, dict) else {}


def api(handler: Handler) -> Handler:
    """Require a session (401) and, for state changes, the CSRF token (403)."""

    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        result = await asyncio.to_thread(auth.check, request)
        if result is auth.Check.NO_SESSION:
            return _error(401, NOT_SIGNED_IN, login="login")
        if result is auth.Check.BAD_CSRF:
            return _error(403, BAD_CSRF)
        return await handler(request, *args, **kwargs)

    wrapped.__name__ = handler.__name__
    return wrapped


def build_blueprint(
    name: str,
    services: Callable[[], ConsoleServices],
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Blueprint:
    bp = Blueprint(name)

    @bp.middleware("request")
    async def _attach_services(request: Request) -> None:
        # authenticate() (used by other blueprints too) finds the services on the app.
        if getattr(request.app.ctx, "console_services", None) is None:
            request.app.ctx.console_services = services()

    @bp.middleware("response")
    async def _security_headers(_request: Request, resp: HTTPResponse) -> None:
        for header, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(header, value)

    # --- pages ---------------------------------------------------------------------------------

    @bp.route("/", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        if not request.path.endswith("/"):
            # The page's links are relative: /webhooks/console → /webhooks/console/
            return response.redirect(request.path.rsplit("/", 1)[-1] + "/", status=301)
        if await asyncio.to_thread(auth.signed_in, request) is None:
            return response.redirect("login", status=303)
        return response.html(app_page())

    @bp.route("/static/<file_name>", methods=["GET"])
    async def static(request: Request, file_name: str) -> HTTPResponse:
        if file_name not in STATIC_FILES:
            return response.text("Không tìm thấy.", status=404)
        content_type, needs_login = STATIC_FILES[file_name]
        if needs_login and await asyncio.to_thread(auth.signed_in, request) is None:
            return response.text(NOT_SIGNED_IN, status=401)
        return response.text(read_static(file_name), content_type=content_type)

    @bp.route("/login", methods=["GET"])
    async def login_form(request: Request) -> HTTPResponse:
        if await asyncio.to_thread(auth.signed_in, request) is not None:
            return response.redirect("./", status=303)
        return _login_page(request)

    def _login_page(request: Request, error: str = "", name: str = "", status: int = 200) -> HTTPResponse:
        token = auth.new_login_csrf()
        resp = response.html(render_login(token, error, name), status=status)
        auth.set_cookie(resp, request, auth.LOGIN_CSRF_COOKIE, token, LOGIN_FORM_SECONDS)
        return resp

    @bp.route("/login", methods=["POST"])
    async def login(request: Request) -> HTTPResponse:
        form = request.form if request.content_type.startswith("application/x-www-form-urlencoded") else {}
        name = str(form.get("name") or "")[:320]
        password = str(form.get("password") or "")
        expected = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or ""
        given = str(form.get(auth.CSRF_FIELD) or "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            return _login_page(request, LOGIN_ERRORS["expired_form"], name, status=403)
        if not name.strip() or not password:
            return _login_page(request, LOGIN_ERRORS["missing"], name, status=400)
        store = auth.services_of(request)
        key, ip = name_key(name), auth.client_ip(request)
        try:
            if await asyncio.to_thread(store.throttle.is_blocked, key, ip):
                logger.warning("Console login refused (throttled) for %r from %s", key[:40], ip)
                return _login_page(request, store.throttle.message, name, status=429)
            account = await asyncio.to_thread(store.staff.check_login, name, password)
            if account is None:
                await asyncio.to_thread(store.throttle.record_failure, key, ip)
                logger.warning("Console login failed for %r from %s", key[:40], ip)
                return _login_page(request, LOGIN_ERRORS["bad_credentials"], name, status=401)
            await asyncio.to_thread(store.throttle.clear, key)
            token = await asyncio.to_thread(store.sessions.create, account.id)
        except Exception as exc:  # database down: say so, never a stack trace
            logger.error("Console login unavailable (%s)", type(exc).__name__)
            return _login_page(request, LOGIN_ERRORS["unavailable"], name, status=503)
        logger.info("Staff %s signed in to the console", account.name)
        resp = response.redirect("./", status=303)
        lifetime = int(store.sessions.lifetime.total_seconds())
        auth.set_cookie(resp, request, auth.SESSION_COOKIE, token, lifetime)
        auth.clear_cookie(resp, request, auth.LOGIN_CSRF_COOKIE)
        return resp

    @bp.route("/logout", methods=["POST"])
    async def logout(request: Request) -> HTTPResponse:
        result = await asyncio.to_thread(auth.check, request)
        if result is auth.Check.BAD_CSRF:
            return _error(403, BAD_CSRF)
        if result is auth.Check.OK:
            await asyncio.to_thread(auth.services_of(request).sessions.delete, auth.session_token(request))
            logger.info("Staff %s signed out of the console", request.ctx.console_staff)
        resp = response.redirect("login", status=303)
        auth.clear_cookie(resp, request, auth.SESSION_COOKIE)
        return resp

    # --- API -----------------------------------------------------------------------------------

    @bp.route("/api/me", methods=["GET"])
    @api
    async def me(request: Request) -> HTTPResponse:
        from bot.console.sessions import csrf_token_for

        who = auth.signed_in(request)
        assert who is not None
        return response.json(
            {"name": who.staff_name, "csrf_token": csrf_token_for(auth.session_token(request) or "")}
        )

    @bp.route("/api/chat", methods=["POST"])
    @api
    async def chat(request: Request) -> HTTPResponse:
        body = _json_body(request)
        text, conversation = body.get("message"), str(body.get("conversation") or "main")
        if not isinstance(text, str) or not text.strip() or not _CONVERSATION_RE.match(conversation):
            return _error(400, "Vui lòng nhập câu hỏi.")
        if len(text) > MAX_CHAT_TEXT:
            return _error(400, f"Câu hỏi quá dài (tối đa {MAX_CHAT_TEXT} ký tự).")
        who = auth.signed_in(request)
        assert who is not None
        collector = CollectingOutputChannel()
        message = UserMessage(
            text,
            collector,
            f"console-staff-{who.staff_id}-{conversation}",
            input_channel="console",
            metadata={"console_staff": True},
        )
        try:
            await on_new_message(message)
        except Exception as exc:
            logger.error("Console chat failed (%s)", type(exc).__name__)
            return _error(503, "Trợ lý chưa trả lời được. Vui lòng thử lại sau ít phút.")
        return response.json({"messages": collector.messages})

    @bp.route("/api/knowledge", methods=["GET"])
    @api
    async def knowledge(request: Request) -> HTTPResponse:
        query = str(request.args.get("q") or "").strip()
        if not query:
            return _error(400, "Vui lòng nhập từ khóa cần tìm.")
        try:
            cards = await asyncio.to_thread(search_cards, query[:MAX_QUERY])
        except Exception as exc:
            logger.error("Console knowledge search failed (%s)", type(exc).__name__, exc_info=True)
            return _error(503, "Chưa tìm được trong cơ sở tri thức. Vui lòng thử lại sau.")
        return response.json({"query": query, "cards": cards})

    @bp.route("/api/dossiers/lookup", methods=["POST"])
    @api
    async def dossier(request: Request) -> HTTPResponse:
        code = str(_json_body(request).get("code") or "")[:200]
        store = auth.services_of(request)
        try:
            result = await asyncio.to_thread(store.dossiers.lookup, request.ctx.console_staff, code)
        except Exception as exc:  # the audit log or the store is down: nothing shown unaudited
            logger.error("Console dossier look-up failed (%s)", type(exc).__name__)
            return _error(503, "Chưa tra cứu được hồ sơ lúc này. Vui lòng thử lại sau.")
        status = {"found": 200, "not_found": 404, "invalid_code": 400}.get(result.outcome, 503)
        return response.json(result.as_dict(), status=status)

    @bp.route("/api/handoffs", methods=["GET"])
    @api
    async def handoffs(request: Request) -> HTTPResponse:
        tickets = await asyncio.to_thread(auth.services_of(request).handoffs.list_open)
        return response.json({"tickets": [_summary(t) for t in tickets]})

    @bp.route("/api/handoffs/<ticket_id>", methods=["GET"])
    @api
    async def handoff(request: Request, ticket_id: str) -> HTTPResponse:
        ticket = await asyncio.to_thread(auth.services_of(request).handoffs.get, ticket_id)
        if ticket is None:
            return _error(404, TAKE_MESSAGES["not_found"])
        data = ticket.as_dict()
        data["sender"] = mask_sender(ticket.sender_id)
        del data["sender_id"]
        try:
            live = await relay.live_messages(request.app, ticket)
        except Exception as exc:
            logger.warning("Tracker unavailable for handoff %s (%s)", ticket.id, type(exc).__name__)
            live = []
        data["messages"] = sorted(data["messages"] + live, key=lambda m: m["time"])
        return response.json({"ticket": data})

    @bp.route("/api/handoffs/<ticket_id>/take", methods=["POST"])
    @api
    async def take(request: Request, ticket_id: str) -> HTTPResponse:
        outcome = await asyncio.to_thread(
            auth.services_of(request).handoffs.take, ticket_id, request.ctx.console_staff
        )
        status = {"taken": 200, "already_yours": 200, "not_found": 404}.get(outcome, 409)
        return response.json({"outcome": outcome, "message": TAKE_MESSAGES[outcome]}, status=status)

    @bp.route("/api/handoffs/<ticket_id>/reply", methods=["POST"])
    @api
    async def reply(request: Request, ticket_id: str) -> HTTPResponse:
        text = _json_body(request).get("text")
        store = auth.services_of(request).handoffs
        result = await asyncio.to_thread(
            store.staff_reply, ticket_id, request.ctx.console_staff, text if isinstance(text, str) else ""
        )
        if result.outcome != "recorded" or result.message is None or result.ticket is None:
            status = {"empty": 400, "too_long": 400, "not_found": 404}.get(result.outcome, 409)
            return response.json(
                {"outcome": result.outcome, "message": REPLY_MESSAGES[result.outcome]}, status=status
            )
        delivery = await relay.deliver(request.app, store, result.ticket, result.message)
        return response.json(
            {"outcome": "recorded", "delivery": delivery, "message": REPLY_MESSAGES[delivery]},
            status=200 if delivery != "failed" else 502,
        )

    @bp.route("/api/handoffs/<ticket_id>/release", methods=["POST"])
    @api
    async def release(request: Request, ticket_id: str) -> HTTPResponse:
        store = auth.services_of(request).handoffs
        ticket = await asyncio.to_thread(store.get, ticket_id)
        if ticket is None or not ticket.is_active:
            outcome = "not_found" if ticket is None else "already_closed"
            return response.json(
                {"outcome": outcome, "message": RELEASE_MESSAGES[outcome]},
                status=404 if ticket is None else 409,
            )
        try:
            # Resume first: a closed ticket must never leave a conversation paused.
            await relay.resume_conversation(request.app, ticket.sender_id)
        except Exception as exc:
            logger.error(
                "Could not resume the conversation of handoff %s (%s)", ticket.id, type(exc).__name__
            )
            return response.json(
                {"outcome": "unavailable", "message": RELEASE_MESSAGES["unavailable"]}, status=503
            )
        outcome = await asyncio.to_thread(store.release, ticket_id, request.ctx.console_staff)
        if outcome == "released":
            notice = await asyncio.to_thread(store.add_notice, ticket.id, RELEASE_NOTICE, "pending")
            await relay.deliver(request.app, store, ticket, notice)
        return response.json({"outcome": outcome, "message": RELEASE_MESSAGES[outcome]})

    # --- citizens' web clients (REST channel) --------------------------------------------------

    @bp.route("/replies", methods=["POST"])
    async def citizen_replies(request: Request) -> HTTPResponse:
        """Staff replies waiting for a REST-channel conversation, handed out once.

        Like ``/webhooks/rest/webhook`` this trusts the sender id, so web clients must use a random,
        unguessable one (a UUID), as Rasa's web chat widgets do.
        """
        sender = _json_body(request).get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > 255:
            return _error(400, BAD_REQUEST)
        messages = await asyncio.to_thread(
            auth.services_of(request).handoffs.take_stored_replies, sender, "rest"
        )
        return response.json(
            {"messages": [{"text": m.text, "time": m.time.isoformat(), "role": m.role} for m in messages]}
        )

    serving.close_kept_sessions_on_stop(bp)
    return bp


def _summary(ticket: Any) -> Dict[str, Any]:
    user_lines = [m for m in ticket.messages if m.role == "user"]
    last = user_lines[-1].text if user_lines else ""
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "sender": mask_sender(ticket.sender_id),
        "status": ticket.status,
        "taken_by": ticket.taken_by,
        "created_at": ticket.created_at.isoformat(),
        "preview": last[:140],
        "message_count": len(ticket.messages),
    }
