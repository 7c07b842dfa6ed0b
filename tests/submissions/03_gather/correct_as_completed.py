# expect: pass
import asyncio


async def _numbered(index, awaitable):
    return index, await awaitable


async def fetch_all(fetch, items):
    results = [None] * len(items)
    for next_done in asyncio.as_completed([_numbered(i, fetch(item)) for i, item in enumerate(items)]):
        index, value = await next_done
        results[index] = value
    return results


async def fetch_all_settled(fetch, items):
    return list(await asyncio.gather(*map(fetch, items), return_exceptions=True))
