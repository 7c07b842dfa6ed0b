"""Exercise 13: handle errors in concurrent code.

Read README.md in this folder first. Each function receives its I/O as a parameter:

- `fetch(item)` is an async function: `await fetch(item)` returns the result for one item
  after a while, or raises an exception.
- `connect()` is an async function: `connection = await connect()` opens a connection;
  `await connection.send(item)` sends one item (it may raise), and
  `await connection.close()` closes the connection.
"""

import asyncio  # noqa: F401  (you will need it)


async def fetch_settled(fetch, items):
    """Fetch every item at the same time; a failing fetch costs only its own item.

    Return (results, errors): results is {item: result} for the fetches that worked,
    errors is {item: exception} for those that failed. Never raise for a failed fetch.
    """
    # TODO: gather the fetches with return_exceptions=True, then sort each outcome
    #       into results or errors.
    raise NotImplementedError


async def fetch_all(fetch, items):
    """Fetch every item at the same time in an asyncio.TaskGroup: all or nothing.

    - Every fetch works: return (results, []), results in the order of items.
    - Fetches fail with LookupError (missing items): the others are cancelled at once;
      return (None, missing), missing being the list of those LookupError exceptions.
    - Any other exception is not yours to handle: let it out.
    """
    # TODO: run the fetches in a TaskGroup; handle the LookupErrors with except*.
    raise NotImplementedError


async def upload(connect, items):
    """Send every item, in order, over one connection, and always close it.

    A send that raises ValueError rejects its item: note it and go on. Return
    {item: exception} for the rejected items. Any other exception, or a cancellation,
    stops the upload and goes on out, after the connection is closed.
    """
    # TODO: connect, send each item in a loop (catching only ValueError), and close the
    #       connection in a finally.
    raise NotImplementedError
