# expect: pass
"""Correct, and logs as it goes: logging from a coroutine is not reported as a blocking call."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def fetch_all(fetch, items):
    log.warning("fetching %d items", len(items))
    results = await asyncio.gather(*(fetch(item) for item in items))
    log.warning("fetched %d items", len(results))
    return results


async def fetch_all_settled(fetch, items):
    log.warning("fetching %d items, keeping errors", len(items))
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
