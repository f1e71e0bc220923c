"""Campaign target segment: channels, provinces/communes (accent-insensitive), topics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.outreach.models import subscribers_t
from bot.outreach.subscribers import ACTIVE, CHANNELS, place_key
from bot.outreach.topics import unknown_topics


class SegmentError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    """Empty lists mean "any". A subscriber matches when every non-empty criterion matches;
    topics match when the subscriber chose at least one of them."""

    channels: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    topics: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Segment:
        data = data or {}
        extra = set(data) - {"channels", "provinces", "communes", "topics"}
        if extra:
            raise SegmentError(f"unknown segment keys: {', '.join(sorted(extra))}")

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            if isinstance(value, str):
                value = [part for part in value.split(";")]
            if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
                raise SegmentError(f"segment {key} must be a list of strings")
            return tuple(v.strip() for v in value if v.strip())

        segment = cls(strings("channels"), strings("provinces"), strings("communes"), strings("topics"))
        bad_channels = sorted(set(segment.channels) - set(CHANNELS))
        if bad_channels:
            raise SegmentError(f"unknown channels: {', '.join(bad_channels)}")
        bad_topics = unknown_topics(segment.topics)
        if bad_topics:
            raise SegmentError(f"unknown topics: {', '.join(bad_topics)}")
        return segment

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "channels": list(self.channels),
            "provinces": list(self.provinces),
            "communes": list(self.communes),
            "topics": list(self.topics),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def where(self) -> sa.sql.ColumnElement:
        """SQL condition on outreach_subscribers: reachable, consenting and inside the segment."""
        s = subscribers_t.c
        conditions = [s.status == ACTIVE, s.unreachable == sa.false()]
        if self.channels:
            conditions.append(s.channel.in_(self.channels))
        if self.provinces:
            conditions.append(s.province_key.in_([place_key(p) for p in self.provinces]))
        if self.communes:
            conditions.append(s.commune_key.in_([place_key(c) for c in self.communes]))
        if self.topics:
            conditions.append(sa.or_(*[s.topics.like(f"%;{topic};%") for topic in self.topics]))
        return sa.and_(*conditions)
