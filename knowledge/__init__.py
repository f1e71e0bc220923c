"""The knowledge base of the 25 Project 06 services: data files, schema and search.

``from knowledge import search`` — ``search(query, k=5) -> list[Hit]``. Nothing is loaded at
import time; the index is built on first search.
"""

from knowledge.hits import Hit, SearchBackend
from knowledge.retrieval import get_backend, reset_backend, search, set_backend

__all__ = ["Hit", "SearchBackend", "get_backend", "reset_backend", "search", "set_backend"]
