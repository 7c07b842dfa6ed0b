# expect-fail: test_greet_waits_exactly_delay_seconds: Called greet('Grace', 0.5). It returned at once, after 0 s of loop time; expected it to wait 0.5 s
# expect-pass: test_greet_user_looks_up_then_waits
# expect-pass: test_run_greeting_runs_greet_with_asyncio_run
# visible-fail: test_greet_says_hello_after_the_delay: Called greet('Grace', 0.5). It returned at once
import asyncio


async def greet(name, delay):
    for _ in range(int(delay)):  # one second at a time
        await asyncio.sleep(1)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
