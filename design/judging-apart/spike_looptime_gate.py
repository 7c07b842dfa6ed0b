"""Does looptime freeze virtual time while an executor future is pending? (No: it follows real time.)

    python spike_looptime_gate.py
"""

import asyncio
import threading
import time

import looptime

loop = looptime.new_event_loop()
gate = threading.Event()
start = time.perf_counter()


async def sleeper(delay):
    await asyncio.sleep(delay)
    print(f"sleep({delay}) done at loop time {loop.time()}, real time {time.perf_counter() - start:.3f} s")


async def main():
    pending = loop.run_in_executor(None, gate.wait)  # the "gate": released after 2 s of real time
    sleepers = [loop.create_task(sleeper(d)) for d in (0.001, 0.01, 0.5, 1.0)]
    threading.Timer(2.0, gate.set).start()
    await pending
    print(f"gate released at loop time {loop.time()}, real time {time.perf_counter() - start:.3f} s")
    await asyncio.gather(*sleepers)


loop.run_until_complete(main())
