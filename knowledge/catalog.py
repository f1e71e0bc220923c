"""Load and validate the service files under ``knowledge/services/``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml
from pydantic import ValidationError

from knowledge.schema import Service
from nlu.text import fold

SERVICES_DIR = Path(__file__).resolve().parent / "services"
# libyaml's safe loader parses the catalog about ten times faster than the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(ValueError):
    """The knowledge base is invalid; the message lists every problem found."""


@dataclass(frozen=True)
class Catalog:
    services: Tuple[Service, ...]

    def by_id(self, service_id: str) -> Service:
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(service_id)

    def get(self, service_id: str) -> Service | None:
        try:
            return self.by_id(service_id)
        except KeyError:
            return None

    def by_number(self, number: int) -> Service:
        for service in self.services:
            if service.number == number:
                return service
        raise KeyError(number)

    def by_procedure_code(self, code: str) -> Service | None:
        for service in self.services:
            if code in service.procedure_codes:
                return service
        return None

    def alias_index(self) -> Dict[str, str]:
        """Folded name/alias → service id."""
        index: Dict[str, str] = {}
        for service in self.services:
            for name in (service.name, service.short_name, *service.aliases):
                index.setdefault(fold(name), service.id)
        return index


def _load_file(path: Path) -> Service:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader, C when available)
    return Service.parse_obj(raw)


def validate_services(services: List[Service]) -> List[str]:
    """Cross-file rules the per-file schema cannot see."""
    problems: List[str] = []
    seen_ids: Dict[str, int] = {}
    seen_nos: Dict[int, str] = {}
    alias_owner: Dict[str, str] = {}
    for service in services:
        if service.id in seen_ids:
            problems.append(f"duplicate id {service.id!r}")
        seen_ids[service.id] = service.number
        if service.number in seen_nos:
            problems.append(
                f"number {service.number} used by {seen_nos[service.number]!r} and {service.id!r}"
            )
        seen_nos[service.number] = service.id
        own = set()
        for alias in (service.name, service.short_name, *service.aliases):
            key = fold(alias)
            own.add(key)
        for key in own:
            other = alias_owner.get(key)
            if other and other != service.id:
                problems.append(f"alias {key!r} used by both {other!r} and {service.id!r}")
            alias_owner[key] = service.id
    for service in services:
        for linked in service.linked_services:
            if linked not in seen_ids:
                problems.append(f"{service.id}: linked service {linked!r} does not exist")
    return problems


def load_catalog(directory: Path = SERVICES_DIR) -> Catalog:
    """Read, validate and return every service; raise CatalogError listing all problems."""
    services: List[Service] = []
    problems: List[str] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            services.append(_load_file(path))
        except ValidationError as exc:
            problems.append(f"{path.name}: {exc}")
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: invalid YAML: {exc}")
    problems.extend(validate_services(services))
    if problems:
        raise CatalogError("\n".join(problems))
    return Catalog(tuple(sorted(services, key=lambda s: s.number)))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged knowledge base, loaded once per process on first use."""
    return load_catalog()
