# expect-fail: test_fetch_all_fetches_each_item_once: 'b' is in items 2 times but fetch was called 1 time(s) for it
# expect-pass: test_fetch_all_keeps_input_order
# expect-pass: test_fetch_all_handles_many_items
# visible-fail: test_fetch_all_fetches_a_repeated_item_each_time: 'b' is in items 2 times but fetch was called 1 time(s)
import asyncio


async def fetch_all(fetch, items):
    unique = list(dict.fromkeys(items))  # no need to fetch the same item twice
    results = await asyncio.gather(*(fetch(item) for item in unique))
    by_item = dict(zip(unique, results))
    return [by_item[item] for item in items]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
