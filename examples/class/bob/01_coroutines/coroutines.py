"""Exercise 01: async def, await, coroutine objects and asyncio.run.

Read README.md in this folder first. `greet_user` receives `find_name`, an async
function: `await find_name(user_id)` returns that user's name (after a while).
"""


async def greet(name, delay):
    """Wait `delay` seconds, without blocking the event loop, then return "Hello, <name>!".

    greet("Ada", 2) returns "Hello, Ada!" after 2 seconds.
    """
    # TODO: pause for `delay` seconds the async way, then return the greeting.
    raise NotImplementedError


async def greet_user(find_name, user_id, delay):
    """Look up the user's name, then greet it: return greet(name, delay)'s greeting.

    The lookup must finish before the greeting starts (you need the name first), so
    greet_user takes the lookup's time plus `delay`. If find_name raises, so does greet_user.
    """
    # TODO: await the lookup to get the name, then await your greet coroutine.
    raise NotImplementedError


def run_greeting(name, delay):
    """A plain function (not async!), as the synchronous start of a program would be:
    run greet(name, delay) on an event loop and return the greeting it produced.
    """
    # TODO: calling greet(...) only creates a coroutine object; hand it to asyncio.run.
    raise NotImplementedError
