"""Exercise 03: run many awaitables at the same time with asyncio.gather.

Read README.md in this folder first. Both functions receive `fetch`, an async
function: `await fetch(item)` returns the result for one item (after a while).
"""

import asyncio  # you will need it


async def fetch_all(fetch, items):
    """Fetch every item at the same time; return the results in the order of `items`.

    If a fetch raises an exception, fetch_all raises it too.
    """
    # TODO: start all the fetches together, then return their results in order.
    raise NotImplementedError


async def fetch_all_settled(fetch, items):
    """Like fetch_all, but a failing fetch does not stop the others: its exception
    object takes its place in the returned list."""
    # TODO: same as fetch_all, but collect exceptions instead of raising them.
    raise NotImplementedError
