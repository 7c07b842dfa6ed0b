"""A busy loop that never reaches an await."""
import asyncio


async def fetch_all(fetch, items):
    results = [None] * len(items)
    while None in results:  # waits for results that can never arrive
        pass
    return results


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
