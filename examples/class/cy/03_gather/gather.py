# expect-fail: test_fetch_all_runs_fetches_together: they ran one after another
# expect-fail: test_fetch_all_handles_many_items: they ran one after another
# expect-fail: test_settled_runs_fetches_together: they ran one after another
# expect-pass: test_fetch_all_keeps_input_order
async def fetch_all(fetch, items):
    results = []
    for item in items:
        results.append(await fetch(item))
    return results


async def fetch_all_settled(fetch, items):
    results = []
    for item in items:
        try:
            results.append(await fetch(item))
        except Exception as error:
            results.append(error)
    return results
