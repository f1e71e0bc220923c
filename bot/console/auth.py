"""Request-level authentication for the console and for blueprints mounted behind it.

A request is authenticated when its session cookie names a live session of an active staff
account and, for every state-changing method, it carries the session's CSRF token in the
``X-CSRF-Token`` header or the ``csrf_token`` form field (compared in constant time).
"""

from __future__ import annotations

import enum
import secrets
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.services import ConsoleServices, default_services
from bot.console.sessions import SignedIn, csrf_matches

SESSION_COOKIE = "tro_ly_console"
LOGIN_CSRF_COOKIE = "tro_ly_console_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Check(enum.Enum):
    OK = "ok"
    NO_SESSION = "no_session"
    BAD_CSRF = "bad_csrf"


def services_of(request: Request) -> ConsoleServices:
    """The console services the app was given (tests), else the ones built from settings."""
    services = getattr(request.app.ctx, "console_services", None)
    return services if isinstance(services, ConsoleServices) else default_services()


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def signed_in(request: Request) -> SignedIn | None:
    """Who is signed in (looked up once per request)."""
    if not hasattr(request.ctx, "console_signed_in"):
        request.ctx.console_signed_in = services_of(request).sessions.resolve(session_token(request))
    found: SignedIn | None = request.ctx.console_signed_in
    return found


def given_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return str(header)
    if request.content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = request.form.get(CSRF_FIELD)
        return str(value) if value else None
    return None


def check(request: Request) -> Check:
    who = signed_in(request)
    token = session_token(request)
    if who is None or token is None:
        return Check.NO_SESSION
    if request.method.upper() not in SAFE_METHODS and not csrf_matches(token, given_csrf(request)):
        return Check.BAD_CSRF
    request.ctx.console_staff = who.staff_name
    return Check.OK


def authenticate(request: Request) -> bool:
    """Session valid (and CSRF token valid for non-GET): the hook for other blueprints (outreach).

    On success ``request.ctx.console_staff`` holds the staff member's name.
    """
    return check(request) is Check.OK


def cookie_secure(request: Request) -> bool:
    return services_of(request).cookie_secure or request.scheme == "https"


def set_cookie(response: HTTPResponse, request: Request, name: str, value: str, max_age: int) -> None:
    response.cookies[name] = value
    cookie: Any = response.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if cookie_secure(request):
        cookie["secure"] = True


def clear_cookie(response: HTTPResponse, request: Request, name: str) -> None:
    set_cookie(response, request, name, "", 0)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def client_ip(request: Request) -> str:
    """The peer address (Sanic honours X-Forwarded-For only when PROXIES_COUNT is configured)."""
    return str(request.remote_addr or request.ip or "unknown")
