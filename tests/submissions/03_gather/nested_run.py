# expect-fail: test_fetch_all_runs_fetches_together: called asyncio.run() while the event loop was already running
# expect-fail: test_settled_puts_exceptions_in_place: called asyncio.run()
import asyncio


async def fetch_all(fetch, items):
    async def everything():
        return await asyncio.gather(*(fetch(item) for item in items))

    return asyncio.run(everything())


async def fetch_all_settled(fetch, items):
    return asyncio.run(asyncio.gather(*(fetch(item) for item in items), return_exceptions=True))
