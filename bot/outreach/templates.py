"""Campaign message placeholders: checked when a campaign is created, filled per subscriber."""

from __future__ import annotations

import string
from collections.abc import Mapping

# Placeholder → text used when the subscriber did not give that value.
PLACEHOLDERS: dict[str, str] = {
    "commune": "xã/phường của bạn",
    "province": "tỉnh/thành phố của bạn",
}
MAX_TEXT_LENGTH = 4000  # Telegram's limit is 4096 characters; leave room for filled placeholders


class TemplateError(ValueError):
    """The campaign text cannot be used; the message says why."""


def check_template(text: str) -> list[str]:
    """The placeholders used by ``text``; raises TemplateError on unknown or malformed ones."""
    if not text.strip():
        raise TemplateError("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise TemplateError(f"message text is longer than {MAX_TEXT_LENGTH} characters")
    used: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"malformed placeholder ({exc}); write a literal brace as {{{{ or }}}}") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            shown = "{" + field + "}" if field else "{}"
            raise TemplateError(f"unknown placeholder {shown}; known placeholders: {known}")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{field}}} must not have a format spec or conversion")
        used.append(field)
    return used


def render(text: str, values: Mapping[str, str | None]) -> str:
    filled = {name: (values.get(name) or fallback) for name, fallback in PLACEHOLDERS.items()}
    return text.format(**filled)
