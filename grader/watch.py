"""``awaitlings watch``: re-run the current exercise's tests on every save, move on when it passes.

Three sources feed one queue that the main thread reads:

- file events from watchfiles on ``exercises/`` (a directory watch, so editors that save
  by writing a new file and renaming it over the old one are seen too); watchfiles polls
  by itself on WSL or when told to (``--poll``, ``WATCHFILES_FORCE_POLLING``);
- keys from the terminal, read one at a time (cbreak mode, restored on exit);
- a safety net: every second the main thread hashes the current exercise's files, and a
  change no event reported within SETTLE seconds is acted on anyway (file events never arrive
  on some mounts), so watching never silently stops working.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader import commands, progress
from grader.catalog import Exercise
from grader.kit import Kit
from grader.names import resolve
from grader.progress import Status

TICK = 1.0  # seconds between safety-net looks at the files
SETTLE = 2.5  # seconds a change may go without an event before the safety net acts (watchfiles
# reports one in about 0.7 s: 0.4 s debounce plus polling; a loaded machine can double that)
SAME_SAVE = 1.0  # seconds in which a save of unchanged files does not re-run the tests
KEYS = "h hint · l list · n next · r rerun · q quit"


def _relevant(path: str) -> bool:
    name = Path(path).name
    return Path(path).suffix in progress.HASHED and not name.startswith(".") and "__pycache__" not in path


def _watch_files(root: Path, events: queue.Queue, stop: threading.Event, poll: bool) -> None:
    import watchfiles

    ready = False
    try:
        for changes in watchfiles.watch(
            root, stop_event=stop, rust_timeout=200, yield_on_timeout=True, debounce=400,
            force_polling=True if poll else None, raise_interrupt=False,
            watch_filter=lambda change, path: _relevant(path),
        ):
            if not ready:
                ready = True
                events.put(("ready", None))
            if changes:
                events.put(("files", {Path(path) for _, path in changes}))
    except Exception as error:  # e.g. the system's limit of watched folders: the safety net still polls
        events.put(("watch-error", error))


def _read_keys(fd: int, events: queue.Queue) -> None:
    while True:
        try:
            data = os.read(fd, 1)
        except OSError:
            return
        if not data:
            return  # end of input: keep watching files, Ctrl-C still quits
        events.put(("key", data.decode("utf-8", "replace").lower()))


@contextmanager
def _keys_at_once(fd: int | None):
    """Keys arrive as they are pressed, without Enter or echo; the terminal is restored after."""
    if fd is None or not os.isatty(fd):
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Watch:
    def __init__(self, kit: Kit, out: Console, exercise: Exercise, poll: bool, named: bool = False) -> None:
        self.kit, self.out, self.current, self.poll = kit, out, exercise, poll
        self.named = named  # the learner chose the exercise: one that passes already is not left at once
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.seen = ""  # content hash of the current exercise when its tests last ran
        self.pending: tuple[str, float] | None = None  # a change the safety net saw: (hash, when)
        self.polling_noted = False  # said once that events do not arrive
        self.ran_at = 0.0  # time.monotonic() when the tests last finished

    # What the learner sees

    def footer(self) -> None:
        self.out.print(Text.assemble(
            ("Watching ", "dim"), (self.kit.shown(self.kit.module_path(self.current)), "bold"),
            (f" — save it to re-run the tests. Keys: {KEYS}", "dim"),
        ))

    def run_tests(self, clear: bool = True) -> Status:
        if clear and self.out.is_terminal:
            self.out.clear()
        self.seen = progress.content_hash(self.kit, self.current)
        self.pending = None
        status = commands.run_one(self.kit, self.out, self.current)
        self.ran_at = time.monotonic()
        commands.show_status(self.kit, self.out, status)
        return status

    def move_to(self, exercise: Exercise) -> Status:
        self.current = exercise
        self.out.print(Text.assemble("\nNow on ", (exercise.name, "bold"), f": {exercise.title}. Task: {exercise.readme}"))
        return self.run_tests(clear=False)

    def after_run(self, status: Status) -> bool:
        """Move on while the current exercise passes; False when every exercise is done."""
        while status.done:
            upcoming = progress.first_unfinished(commands.all_statuses(self.kit, self.out), after=self.current)
            self.out.print(Text(f"✓ {self.current.name} passes all {status.total} visible tests.", style="bold green"))
            if upcoming is None:
                self.out.print(Text("Every exercise passes its visible tests. Well done!", style="bold green"))
                return False
            self.out.print(Text(f"Moving on to {upcoming.exercise.name}.", style="green"))
            status = self.move_to(upcoming.exercise)
        self.footer()
        return True

    # Events

    def on_files(self, paths: set[Path]) -> bool:
        folder = self.kit.folder(self.current).resolve()
        if not any(folder in p.resolve().parents for p in paths):
            return True  # another exercise's files
        unchanged = progress.content_hash(self.kit, self.current) == self.seen
        if unchanged and time.monotonic() - self.ran_at < SAME_SAVE:
            return True  # the same save reported twice, or a run's own echo
        return self.after_run(self.run_tests())

    def on_tick(self) -> bool:
        """The safety net: a change that no file event reported within SETTLE seconds."""
        now_hash = progress.content_hash(self.kit, self.current)
        if now_hash == self.seen:
            self.pending = None
            return True
        if self.pending is None or self.pending[0] != now_hash:
            self.pending = (now_hash, time.monotonic())
            return True
        if time.monotonic() - self.pending[1] < SETTLE:
            return True
        status = self.run_tests()
        if not self.polling_noted:
            self.polling_noted = True
            self.out.print(Text("(No file event arrived for that save: watching by polling.)", style="dim"))
        return self.after_run(status)

    def on_key(self, key: str) -> bool:
        if key == "q":
            return False
        if key == "h":
            self.out.print()
            commands.show_hints(self.kit, self.out, self.current, again="Press h again for hint {next}.")
        elif key == "l":
            self.out.print()
            commands.show_list(self.kit, self.out)
        elif key == "r":
            return self.after_run(self.run_tests())
        elif key == "n":
            following = self.kit.after(self.current)
            if following is None:
                self.out.print(Text(f"\n{self.current.name} is the last exercise.", style="yellow"))
            else:
                return self.after_run(self.move_to(following))
        elif key.strip():
            self.out.print(Text(f"Keys: {KEYS}", style="dim"))
            return True
        else:
            return True
        self.footer()
        return True

    # The loop

    def loop(self, key_fd: int | None) -> int:
        watcher = threading.Thread(
            target=_watch_files, args=(self.kit.root / "exercises", self.events, self.stop, self.poll), daemon=True
        )
        watcher.start()
        if key_fd is not None:
            threading.Thread(target=_read_keys, args=(key_fd, self.events), daemon=True).start()
        try:
            status = self.run_tests()
            self._wait_until_watching()
            if self.named and status.done:  # asked for by name: stay, to polish it for the hidden checks
                self.out.print(Text(f"✓ {self.current.name} passes all {status.total} visible tests. Still "
                                    "watching it, as you named it; n moves to the next exercise.", style="bold green"))
                self.footer()
            elif not self.after_run(status):
                return 0
            while True:
                try:
                    kind, value = self.events.get(timeout=TICK)
                except queue.Empty:
                    if not self.on_tick():
                        return 0
                    continue
                keep = {
                    "files": self.on_files, "key": self.on_key, "watch-error": self.on_watch_error,
                }.get(kind, lambda _: True)(value)
                if not keep:
                    return 0
        finally:
            self.stop.set()

    def _wait_until_watching(self, limit: float = 5.0) -> None:
        """Say "Watching" only once file events are seen, so a save right after is not missed."""
        deadline = time.monotonic() + limit
        held = []
        while time.monotonic() < deadline:
            try:
                kind, value = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if kind in ("ready", "watch-error"):
                if kind == "watch-error":
                    held.append((kind, value))
                break
            held.append((kind, value))
        for item in held:
            self.events.put(item)

    def on_watch_error(self, error: Exception) -> bool:
        self.out.print(Text(f"(Cannot watch for file events: {error}. Watching by polling.)", style="dim"))
        return True


def watch(kit: Kit, out: Console, name: str | None = None, *, poll: bool = False) -> int:
    if name is not None:
        start = resolve(name, kit.exercises)
    else:
        first = progress.first_unfinished(commands.all_statuses(kit, out))
        if first is None:
            out.print(Text("Every exercise passes its visible tests. Well done! (`awaitlings list` shows them.)",
                           style="bold green"))
            return 0
        start = first.exercise
    try:
        key_fd: int | None = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # no stdin, or one replaced by a test harness
        key_fd = None
    previous = signal.signal(signal.SIGTERM, _terminated)  # unwind, so the terminal is restored
    # Ctrl-C ends watching even when we were started with SIGINT ignored (by a shell that ran us in the
    # background, say: its children inherit that)
    interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _keys_at_once(key_fd):
            return Watch(kit, out, start, poll, named=name is not None).loop(key_fd)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, interrupt)


def _terminated(signum, frame):
    sys.exit(128 + signum)
