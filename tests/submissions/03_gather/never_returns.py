# expect-fail: test_fetch_all_runs_fetches_together: had not finished after 600 s of loop time
# expect-fail: test_settled_runs_fetches_together: had not finished
import asyncio


async def fetch_all(fetch, items):
    results = {}
    everything_fetched = asyncio.Event()

    async def one(index, item):
        results[index] = await fetch(item)
        if len(results) > len(items):  # off by one: never true
            everything_fetched.set()

    tasks = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
    await everything_fetched.wait()
    return [results[i] for i in range(len(items))], tasks


async def fetch_all_settled(fetch, items):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    while True:  # the consumer never stops
        item = await queue.get()
        try:
            results.append(await fetch(item))
        except Exception as error:
            results.append(error)
