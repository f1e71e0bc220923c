"""Group commit for the send loop: many coroutines record "about to send" (attempts) and "done"
(results); one flusher writes everything pending in ONE transaction and answers each caller once
its item is committed. A commit per message — or even one per kind — would cap throughput: on
SQLite each commit waits for an fsync, and the worker does all its SQL on one thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Attempt = TypeVar("Attempt")
Result = TypeVar("Result")
Item = TypeVar("Item")

# write(attempts, results) commits both and answers, for each attempt, whether it is still ours.
JournalWrite = Callable[[Sequence[Attempt], Sequence[Result]], Awaitable[Sequence[bool]]]


class SendJournal(Generic[Attempt, Result]):
    def __init__(self, write: JournalWrite[Attempt, Result]) -> None:
        self._write = write
        self._attempts: list[tuple[Attempt, asyncio.Future[bool]]] = []
        self._results: list[tuple[Result, asyncio.Future[bool]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def attempt(self, item: Attempt) -> bool:
        """Commit that ``item`` is about to be sent; False when it is no longer ours to send."""
        return await self._submit(self._attempts, item)

    async def result(self, item: Result) -> None:
        """Commit the outcome of a send."""
        await self._submit(self._results, item)

    async def _submit(self, queue: list[tuple[Item, asyncio.Future[bool]]], item: Item) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        queue.append((item, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            attempts, self._attempts = self._attempts, []
            results, self._results = self._results, []
            if not attempts and not results:
                continue
            try:
                ours = await self._write([a for a, _ in attempts], [r for r, _ in results])
            except Exception as exc:
                for future in [f for _, f in attempts] + [f for _, f in results]:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(attempts, ours, strict=True):
                if not future.done():
                    future.set_result(answer)
            for _, future in results:
                if not future.done():
                    future.set_result(True)

    async def stop(self) -> None:
        """Stop flushing (call once no send is in flight: nothing is pending then)."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
