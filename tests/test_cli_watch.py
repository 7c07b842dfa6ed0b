"""`awaitlings watch`, driven in a pseudo-terminal like a learner's: save, see, press keys.

Also: colours on a terminal, none with NO_COLOR.
"""

import os
import signal
import re
import sys
import time

import pexpect  # in the dev extra: pip install -e '.[dev]'
import pytest

from cli_kit import SECOND, SOURCE, make_kit, module, solve
from grader import catalog



ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;5;\d+)m")  # a foreground colour


class Terminal:
    """The learner's terminal: what has been shown so far, without escape codes."""

    def __init__(self, root, *args, **env):
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES") and not k.startswith("WATCHFILES_")}
        environment.update(TERM="xterm-256color", **env)
        self.child = pexpect.spawn(sys.executable, ["-m", "grader.cli", *args], cwd=str(root), env=environment,
                                   dimensions=(50, 200), encoding="utf-8", timeout=20)
        self.raw = ""
        self.seen = 0

    @property
    def text(self):
        return ESCAPE.sub("", self.raw)

    def wait_for(self, needle, timeout=15.0):
        """Wait until ``needle`` is shown after whatever the last wait_for found."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.text.find(needle, self.seen)
            if found >= 0:
                self.seen = found + len(needle)
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not shown in {timeout} s; the screen:\n{self.text[-3000:]}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                raise AssertionError(f"ended before showing {needle!r}; the screen:\n{self.text[-3000:]}") from None

    def press(self, key):
        self.child.send(key)

    def ends(self, timeout=30.0):  # a wide margin: a test run may be under way, on a loaded machine
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.raw += self.child.before or ""
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def kit(tmp_path):
    return make_kit(tmp_path)


def test_watch_reruns_on_save_moves_on_and_answers_keys(kit):
    screen = Terminal(kit, "watch")
    try:
        screen.wait_for("fetch_all is not implemented yet")
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")
        solve(kit)  # written to a new file, renamed over the old one
        screen.wait_for("3/3 visible tests pass")
        screen.wait_for(f"{SOURCE} passes all 3 visible tests")
        screen.wait_for(f"Moving on to {SECOND}")
        screen.wait_for(f"fetch_all is not implemented yet — see exercises/{SECOND}/README.md")
        screen.wait_for(f"Watching exercises/{SECOND}/gather.py")
        assert "No file event arrived" not in screen.text  # it was a file event, not the fallback

        hints = len(catalog.load(kit / "exercises" / SECOND).hints)
        screen.press("h")
        screen.wait_for(f"Hint 1 of {hints} for {SECOND}")
        screen.wait_for("Press h again for hint 2.")
        screen.press("h")
        screen.wait_for(f"Hint 2 of {hints} for {SECOND}")
        screen.press("l")
        screen.wait_for("1/2 exercises done, 3/6 visible tests pass")
        screen.press("r")
        screen.wait_for("0/3 visible tests pass")
        screen.press("n")
        screen.wait_for(f"{SECOND} is the last exercise")
        screen.press("q")
        assert screen.ends() == 0
    finally:
        screen.child.terminate(force=True)


def test_watch_falls_back_to_polling_when_no_file_event_arrives(kit):
    # Polling watchfiles that looks once in ten minutes: no event will come, as on some mounts.
    screen = Terminal(kit, "watch", "04", WATCHFILES_FORCE_POLLING="1", WATCHFILES_POLL_DELAY_MS="600000")
    try:
        screen.wait_for(f"Watching exercises/{SECOND}/gather.py")
        module(kit, SECOND).write_bytes((kit / "solutions" / SECOND / "gather.py").read_bytes())  # in place
        screen.wait_for("3/3 visible tests pass", timeout=10)
        screen.wait_for("No file event arrived for that save: watching by polling")
        screen.wait_for(f"{SECOND} passes all 3 visible tests")
        screen.wait_for(f"Moving on to {SOURCE}")  # the first unfinished one, wrapping around
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")
        solve(kit)
        screen.wait_for("Every exercise passes its visible tests", timeout=10)
        assert screen.ends() == 0  # nothing left to watch
    finally:
        screen.child.terminate(force=True)


def test_watch_of_a_named_exercise_that_passes_stays_on_it(kit):
    solve(kit)
    screen = Terminal(kit, "watch", SOURCE)
    try:
        screen.wait_for(f"{SOURCE} passes all 3 visible tests. Still watching it, as you named it")
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")
        screen.press("n")
        screen.wait_for(f"Now on {SECOND}")
        screen.press("q")
        assert screen.ends() == 0
        assert "Moving on" not in screen.text
    finally:
        screen.child.terminate(force=True)


def test_watch_with_poll_sees_saves(kit):
    screen = Terminal(kit, "watch", "--poll")
    try:
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")
        module(kit).write_text("async def fetch_all(fetch, items):\n    return [await fetch(i) for i in items]\n")
        screen.wait_for("1/3 visible tests pass")  # its fetch_all_settled is gone
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")  # the run is over: watching again
        assert "No file event arrived" not in screen.text  # polling watchfiles saw it
        screen.press("\x03")  # Ctrl-C ends it as quietly as q
        assert screen.ends() == 0
    finally:
        screen.child.terminate(force=True)


def test_colours_on_a_terminal_and_none_with_no_color(kit):
    coloured = Terminal(kit, "list")
    assert coloured.ends() == 0
    assert COLOUR.search(coloured.raw), "a terminal gets colours"
    plain = Terminal(kit, "list", NO_COLOR="1")
    assert plain.ends() == 0
    assert "0/2 exercises done" in plain.text
    assert not COLOUR.search(plain.raw), "NO_COLOR: no colours"


def test_ctrl_c_ends_watching_even_when_started_with_sigint_ignored(kit):
    """A command started in the background by a script has SIGINT ignored, and children inherit it:
    watch restores it (a fresh-clone CI run started that way failed here three times)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        screen = Terminal(kit, "watch")
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        screen.wait_for(f"Watching exercises/{SOURCE}/gather.py")
        screen.press("\x03")
        assert screen.ends() == 0
    finally:
        screen.child.terminate(force=True)
