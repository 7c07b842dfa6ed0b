"""Exercise 16: stream with async generators, clean up with async context managers.

Read README.md in this folder first. Nothing here does real I/O: `fetch_page`, `items`
and `pool` are passed in, so the tests can hand you fakes that record what you do.
"""

import asyncio  # noqa: F401  (you will need them)
import contextlib  # noqa: F401


async def ticks(interval, count):
    """Yield 1, 2, ..., count, one at a time: wait `interval` seconds before each."""
    # TODO: an async generator: a loop that awaits asyncio.sleep(interval), then yields
    #       the tick's number. (A `yield` in an `async def` makes it an async generator.)
    raise NotImplementedError


async def stream_items(fetch_page):
    """Yield every item of pages 1, 2, 3, ... one at a time, in order.

    `await fetch_page(n)` returns page n as a list of items; the first empty page means
    there are no more. Fetch a page only when the consumer asks for an item past the
    previous page: never read ahead, never collect everything first.
    """
    # TODO: an async generator: fetch page 1, yield its items one by one, then fetch
    #       page 2, ... and return when a page comes back empty.
    raise NotImplementedError


async def matching_items(fetch_page, word):
    """Return a list of every item (from every page) that contains `word`."""
    # TODO: one async comprehension over stream_items(fetch_page).
    raise NotImplementedError


async def first_items(items, n):
    """Return a list of the first `n` items (n >= 1) of the async iterator `items`.

    Take no item past the n-th, and close `items` before returning: breaking out of
    `async for` leaves an async generator open.
    """
    # TODO: `async for` with a `break`, inside `async with contextlib.aclosing(items):`.
    raise NotImplementedError


def connection(pool):
    """An async context manager: `async with connection(pool) as conn:` gives the body
    `conn = await pool.acquire()`, and afterwards always runs `await pool.release(conn)`,
    even when the body raises or is cancelled."""
    # TODO: make this an async context manager: decorate it with
    #       @contextlib.asynccontextmanager and make it an `async def` that yields the
    #       connection once (or write a class with __aenter__ and __aexit__).
    raise NotImplementedError
