"""Exercise 07: producers and consumers sharing an asyncio.Queue, and a pipeline that ends.

Read README.md in this folder first. Your functions receive their I/O as parameters:

- `process(item)` is an async function: `await process(item)` handles one item (it takes
  a while) and returns the result.
- `fetch(url)` is an async function: `await fetch(url)` downloads one page and returns it.
"""

import asyncio  # noqa: F401  (you will need it)


async def process_all(process, items, workers):
    """Put every item on an asyncio.Queue and let `workers` consumers process them.

    Each consumer takes items from the queue, one at a time, and awaits process(item).
    Return the list of what process returned (in any order) once every item is processed
    and every consumer has stopped.
    """
    # TODO: fill a queue, start `workers` consumers, and make them stop when the work is done.
    raise NotImplementedError


async def run_pipeline(fetch, process, batches, workers, maxsize):
    """Producers fetch pages and put them on a queue; consumers process them.

    - One producer per batch in `batches` (a list of lists of urls): it fetches its urls one
      after another, `page = await fetch(url)`, and puts each page on the queue.
    - The queue holds at most `maxsize` pages: a producer waits while it is full.
    - `workers` consumers take pages from the queue and await process(page).

    Return the list of what process returned (in any order) once every page is processed
    and every consumer has stopped.
    """
    # TODO: a bounded queue, the producers, the consumers, and a way for the consumers to stop.
    raise NotImplementedError
