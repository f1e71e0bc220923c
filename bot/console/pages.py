"""Login page (rendered on the server, every value escaped) and the console's static assets."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

# name → (content type, needs login). Only these files are served.
STATIC_FILES = {
    "console.css": ("text/css; charset=utf-8", False),
    "console.js": ("text/javascript; charset=utf-8", True),
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

LOGIN_ERRORS = {
    "bad_credentials": "Tên đăng nhập hoặc mật khẩu không đúng.",
    "expired_form": "Trang đăng nhập đã hết hạn. Vui lòng nhập lại.",
    "missing": "Vui lòng nhập tên đăng nhập và mật khẩu.",
    "unavailable": "Hệ thống đang bận, chưa đăng nhập được. Vui lòng thử lại sau ít phút.",
}


@cache
def read_static(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def render_login(csrf_token: str, error: str = "", name: str = "") -> str:
    error_block = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        read_static("login.html")
        .replace("{{csrf_token}}", html.escape(csrf_token, quote=True))
        .replace("{{name}}", html.escape(name, quote=True))
        .replace("{{error}}", error_block)
    )


def app_page() -> str:
    return read_static("index.html")
