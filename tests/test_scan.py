"""The static scan names blocking calls inside async def bodies, by line."""

from grader.scan import blocking_calls

SOURCE = '''\
import time
import requests as http
from time import sleep
from subprocess import run


def helper():
    time.sleep(1)  # sync code may block: it may run in a thread


async def fetch(url):
    time.sleep(1)
    sleep(2)
    http.get(url)
    run(["ls"])
    with open("data.txt") as f:
        pass
    await asyncio.to_thread(time.sleep, 1)
    await asyncio.to_thread(lambda: time.sleep(1))

    def inner():
        time.sleep(3)
    return inner
'''


def test_names_each_blocking_call_in_async_code(tmp_path):
    path = tmp_path / "fetcher.py"
    path.write_text(SOURCE)
    found = [(f.what, f.line) for f in blocking_calls(path)]
    assert found == [
        ("time.sleep", 12),
        ("time.sleep", 13),
        ("requests.get", 14),
        ("subprocess.run", 15),
        ("open", 16),
    ]


def test_unreadable_file_has_no_findings(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("async def f(:\n")
    assert blocking_calls(path) == []
    assert blocking_calls(tmp_path / "absent.py") == []
