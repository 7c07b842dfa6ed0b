"""grader.learner_tasks in one process: where a task is paused, read off its await chain."""

import asyncio

from grader import learner_tasks


def waits_of(make):
    """Start the coroutines ``make()`` gives as tasks, let them run to their first wait, and list
    (task, method, kind, unfinished) for each task paused in an asyncio primitive."""

    async def main():
        tasks = [asyncio.create_task(c, name=f"t{n}") for n, c in enumerate(make())]
        await asyncio.sleep(0)
        found = sorted((w.task, w.method, w.kind, w.unfinished) for w in learner_tasks.waits(tasks))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return found

    return asyncio.run(main())


def test_queue_waits_name_the_method_and_the_unfinished_items():
    async def consumer(queue):
        await queue.get()

    async def producer(queue):
        await queue.put("b")

    async def joiner(queue):
        await queue.join()

    def make():
        empty, full = asyncio.Queue(), asyncio.Queue(maxsize=1)
        full.put_nowait("a")
        return [consumer(empty), producer(full), joiner(full)]

    assert waits_of(make) == [
        ("test_queue_waits_name_the_method_and_the_unfinished_items.<locals>.consumer", "get", "Queue", 0),
        ("test_queue_waits_name_the_method_and_the_unfinished_items.<locals>.joiner", "join", "Queue", 1),
        ("test_queue_waits_name_the_method_and_the_unfinished_items.<locals>.producer", "put", "Queue", 1),
    ]


def test_locks_semaphores_events_and_conditions_are_found_down_the_chain():
    lock_held, semaphore, event, condition = asyncio.Lock(), asyncio.Semaphore(0), asyncio.Event(), asyncio.Condition()

    async def deeper(awaitable):
        await awaitable  # the primitive's frame is one await further down

    async def wait_condition():
        async with condition:
            await condition.wait()

    async def hold():
        await lock_held.acquire()
        await asyncio.Event().wait()

    def make():
        return [hold(), deeper(lock_held.acquire()), deeper(semaphore.acquire()), event.wait(), wait_condition()]

    found = {(method, kind) for _task, method, kind, _ in waits_of(make)}
    assert found == {("wait", "Event"), ("acquire", "Lock"), ("acquire", "Semaphore"), ("wait", "Condition")}


def test_a_task_paused_elsewhere_has_no_wait_and_told_waits_come_first():
    async def sleeper():
        await asyncio.sleep(10)

    async def main():
        task = asyncio.create_task(sleeper())
        await asyncio.sleep(0)
        before = learner_tasks.wait_of(task)
        learner_tasks.told[task] = learner_tasks.Wait("consumer", "get", "Queue", 7, 2)
        after = learner_tasks.wait_of(task)
        learner_tasks.serving.add(task)
        kept = learner_tasks.own({task})
        task.cancel()
        return before, after, kept

    before, after, kept = asyncio.run(main())
    assert before is None
    assert after == learner_tasks.Wait("consumer", "get", "Queue", 7, 2)
    assert kept == set()
