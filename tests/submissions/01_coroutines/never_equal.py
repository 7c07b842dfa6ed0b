# expect-fail: test_greet_returns_the_greeting: It returned 'Hello?'; expected exactly 'Hello, Ada!'
# expect-fail: test_greet_user_greets_the_name_it_looked_up: It returned 'Hello?'; expected 'Hello, Grace!'
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: It returned 'Hello?'; expected 'Hello, Ada!'
# expect-pass: test_greet_waits_exactly_delay_seconds
# expect-pass: test_run_greeting_closes_its_event_loop
# visible-fail: test_greet_says_hello_after_the_delay: It returned 'Hello?'; expected 'Hello, Ada!'
import asyncio


class Greeting:
    """A result that says it is never unequal to anything (and never equal either)."""

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return False

    def __repr__(self):
        return "'Hello?'"


async def greet(name, delay):
    await asyncio.sleep(delay)
    return Greeting()


async def greet_user(find_name, user_id, delay):
    await find_name(user_id)
    return await greet(None, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
