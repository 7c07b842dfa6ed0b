# expect-fail: test_default_gives_up_at_the_timeout: It waited for the whole fetch and returned at 30 s: nothing limited the wait
# expect-fail: test_default_stops_the_slow_fetch: nothing limited the wait
# expect-fail: test_retries_recover_after_failures: Attempt 1 started at 0 s and answered at 60 s: it was not cut off when its 2 s were up
# expect-fail: test_retries_stop_at_the_deadline[during-an-attempt]: it was not cut off when its 3 s were up
# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: It returned at 10 s, 3 s after the 7 s deadline
# expect-pass: test_default_returns_a_quick_answer
# expect-pass: test_default_lets_other_errors_out
# expect-pass: test_steps_run_one_after_another
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    # "The fetch will answer eventually."
    return await fetch(item)


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    while True:
        try:
            return await fetch(item)
        except ConnectionError:
            await asyncio.sleep(pause)
            pause *= 2


async def fetch_steps(fetch, steps, deadline):
    return [await fetch(step) for step in steps]
