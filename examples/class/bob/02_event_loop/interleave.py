"""Exercise 02: the event loop runs one coroutine at a time, switching only at `await`.

Read README.md in this folder first. Each function receives its I/O as a parameter:

- `step(name, i)` is an async function: `await step("A", 1)` does step 1 of worker A
  (it takes a turn of the event loop, sometimes a while of loop time).
- `download(url)` is an async function that returns a page after a while.
- `process(item)` is a plain (not async) function that computes a result from an item.
"""

import asyncio  # you will need it


async def worker(step, name, count):
    """Take `count` steps, one after another: step(name, 1), step(name, 2), ..., step(name, count)."""
    # TODO: await each step in turn, counting from 1.
    raise NotImplementedError


async def take_turns(step, names, count):
    """Run one worker(step, name, count) per name at the same time, so their steps interleave.

    With names ["A", "B"] and count 3 the steps go A1 B1 A2 B2 A3 B3.
    Return once every worker has finished.
    """
    # TODO: start every worker as a task, then wait for all of them.
    raise NotImplementedError


async def download_while_working(download, url, step, count):
    """Start download(url) in the background, do your own work while it runs, and
    return what the download returned.

    Your work is the steps of worker(step, "work", count).
    """
    # TODO: start the download as a task, do the work, then await the download.
    raise NotImplementedError


async def crunch(process, items):
    """Return [process(item) for item in items], in order, but let other coroutines
    run after each item: they must not freeze while you compute."""
    # TODO: after each item, pause for one turn of the event loop.
    raise NotImplementedError
