"""Outreach topics a citizen can subscribe to, with their Vietnamese labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    id: str
    label: str


TOPICS: tuple[Topic, ...] = (
    Topic("dich_vu_moi", "Dịch vụ công trực tuyến mới"),
    Topic("nhac_giay_to", "Nhắc hạn giấy tờ của tôi"),
    Topic("ky_nang_so", "Mẹo kỹ năng số"),
)
TOPIC_IDS: frozenset[str] = frozenset(topic.id for topic in TOPICS)
# Personal reminders (ID card renewal, birth registration, results waiting) need this topic.
REMINDER_TOPIC = "nhac_giay_to"


def topic_label(topic_id: str) -> str:
    for topic in TOPICS:
        if topic.id == topic_id:
            return topic.label
    raise KeyError(topic_id)


def unknown_topics(topics: Iterable[str]) -> list[str]:
    return sorted({t for t in topics if t not in TOPIC_IDS})


def encode_topics(topics: Iterable[str]) -> str:
    """Stored form ";a;b;" so that SQL can select a topic with LIKE '%;a;%' on any database."""
    ordered = [topic.id for topic in TOPICS if topic.id in set(topics)]
    return ";" + ";".join(ordered) + ";" if ordered else ""


def decode_topics(stored: str | None) -> list[str]:
    return [part for part in (stored or "").split(";") if part]
