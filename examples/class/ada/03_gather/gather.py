"""Exercise 03, reference solution."""

import asyncio


async def fetch_all(fetch, items):
    """Fetch every item at the same time; return the results in the order of `items`."""
    return await asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    """Like fetch_all, but each failure's exception object takes its place in the list."""
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
