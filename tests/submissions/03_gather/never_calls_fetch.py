# expect-fail: test_fetch_all_runs_fetches_together: It never called fetch
# expect-fail: test_settled_runs_fetches_together: It never called fetch
# expect-fail: test_fetch_all_keeps_input_order: Returned ['result of kiwi'
async def fetch_all(fetch, items):
    return [f"result of {item}" for item in items]


async def fetch_all_settled(fetch, items):
    return [f"result of {item}" for item in items]
