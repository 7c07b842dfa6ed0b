# expect-fail: test_greet_returns_the_greeting: Called greet('Ada', 2). It returned None; expected the greeting 'Hello, Ada!'
# expect-fail: test_greet_user_greets_the_name_it_looked_up: make sure greet returns it, not prints it
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: It returned None; expected 'Hello, Ada!'
# expect-pass: test_greet_waits_exactly_delay_seconds
# expect-pass: test_run_greeting_closes_its_event_loop
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    print(f"Hello, {name}!")


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
