"""The learner's commands: list, check, hint, reset (watch is in grader.watch).

Each takes the kit and a console, prints, and returns the exit code.
"""

from __future__ import annotations

from contextlib import nullcontext

from rich.console import Console
from rich.text import Text

from grader import messages, output, progress, stubs
from grader.catalog import Exercise
from grader.kit import Kit
from grader.names import resolve
from grader.progress import DONE, FAILING, NOT_STARTED, Status
from grader.state import State

STYLE = {DONE: "green", FAILING: "red", NOT_STARTED: "dim"}
MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("-", "yellow"), "collected": ("…", "yellow")}


def _spinner(out: Console):
    """A spinner while tests run, on a terminal only."""

    def running(exercises: list[Exercise]):
        if not out.is_terminal:
            return nullcontext()
        return out.status(f"Running the visible tests of {', '.join(e.name for e in exercises)}…", spinner="dots")

    return running


def all_statuses(kit: Kit, out: Console) -> list[Status]:
    """Every exercise's status; only exercises changed since their last run are run."""
    return progress.statuses(kit, running=_spinner(out))


def run_one(kit: Kit, out: Console, exercise: Exercise) -> Status:
    return progress.statuses(kit, [exercise], fresh=True, running=_spinner(out))[0]


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


# awaitlings list

def show_list(kit: Kit, out: Console, statuses: list[Status] | None = None) -> int:
    statuses = statuses if statuses is not None else all_statuses(kit, out)
    upcoming = progress.first_unfinished(statuses)
    grid = output.table(out, "", "#", "title", "concept", "status", "tests")
    for status in statuses:
        exercise = status.exercise
        grid.add_row(
            "▶" if upcoming is status else "",
            exercise.number,
            Text(exercise.title),
            Text(exercise.concept),
            Text(status.state, style=STYLE[status.state]),
            f"{status.passed}/{status.total}",
        )
    out.print(grid)
    done = sum(s.done for s in statuses)
    passed, total = sum(s.passed for s in statuses), sum(s.total for s in statuses)
    out.print(Text.assemble(
        "Progress: ", (_bar(done, len(statuses)), "green"),
        f" {done}/{len(statuses)} exercises done, {passed}/{total} visible tests pass",
    ))
    if upcoming is None:
        out.print(Text("Every exercise passes its visible tests. Well done!", style="bold green"))
    else:
        out.print(Text.assemble(
            "Next: ", (upcoming.exercise.name, "bold"), f" — awaitlings check {upcoming.exercise.number}",
        ))
    return 0


# awaitlings check

def show_status(kit: Kit, out: Console, status: Status) -> None:
    """One exercise's visible tests, with each failure's teaching message."""
    exercise = status.exercise
    out.print(Text.assemble((f"{exercise.number} · {exercise.title}", "bold"), ("  ", ""),
                            (f"[{status.state}]", STYLE[status.state])))
    out.print(Text(f"   {kit.shown(kit.module_path(exercise))} · task: {exercise.readme}", style="dim"))
    previous = None
    for test in status.tests:
        mark, style = MARK.get(test.outcome, ("?", "yellow"))
        out.print(Text.assemble(("  " + mark + " ", style), test.title))
        message = test.message.rstrip()
        if test.outcome == "collected":
            message = "did not finish: the test run was stopped before it (see the messages above)"
        if message and not test.passed:
            if message == previous:
                out.print(Text("      (the same message as above)", style="dim"))
            else:
                indented = "\n".join("      " + line for line in message.splitlines())
                out.print(Text(indented), soft_wrap=True)
            previous = message
        if test.printed and not test.passed:
            show_printed(out, test.printed)
    if not status.tests:
        out.print(Text("  No visible test reported. pytest said:", style="red"))
        out.print(Text(status.output.rstrip()), soft_wrap=True)
    out.print(Text(f"  {status.passed}/{status.total} visible tests pass.", style=STYLE[status.state]))


def show_printed(out: Console, printed: str, lines: int = 12) -> None:
    """What the learner's code printed during a failed test: its first ``lines`` lines."""
    shown = [messages.printable(line, 200) for line in printed.rstrip("\n").splitlines()]
    out.print(Text("      Your code printed:", style="dim"))
    out.print(Text("\n".join("        " + line for line in shown[:lines]), style="dim"), soft_wrap=True)
    if len(shown) > lines:
        out.print(Text(f"        … and {len(shown) - lines} more line(s)", style="dim"))


def next_steps(kit: Kit, out: Console, status: Status, statuses: list[Status] | None = None) -> None:
    exercise = status.exercise
    if not status.done:
        out.print(Text.assemble(
            "Next: edit ", (kit.shown(kit.module_path(exercise)), "bold"),
            f" (the task is in {exercise.readme}), then run `awaitlings check {exercise.number}` again, "
            f"or `awaitlings watch` to re-run on every save. Stuck? `awaitlings hint {exercise.number}`.",
        ))
        return
    statuses = statuses if statuses is not None else all_statuses(kit, out)
    upcoming = progress.first_unfinished(statuses, after=exercise)
    out.print(Text(f"{exercise.name} passes all {status.total} visible tests.", style="bold green"))
    out.print(Text(f"Your grade comes from more checks than these: before you hand it in, go through "
                   f"\"What the tests look for\" in {exercise.readme}.", style="dim"))
    if upcoming is None:
        out.print(Text("Every exercise passes its visible tests. Well done!", style="bold green"))
    else:
        following = upcoming.exercise
        out.print(Text.assemble(
            "Next: ", (following.name, "bold"), f" — {following.title}. Read {following.readme}, "
            f"then run `awaitlings check {following.number}`.",
        ))


def check(kit: Kit, out: Console, name: str | None) -> int:
    if name is not None:
        status = run_one(kit, out, resolve(name, kit.exercises))
    else:
        statuses = all_statuses(kit, out)
        first = progress.first_unfinished(statuses)
        if first is None:
            out.print(Text("Every exercise passes its visible tests. Well done!", style="bold green"))
            return 0
        status = first if first.ran else run_one(kit, out, first.exercise)
    show_status(kit, out, status)
    next_steps(kit, out, status)
    return 0 if status.done else 1


# awaitlings hint

def hint(kit: Kit, out: Console, name: str | None, *, every: bool = False, level: int | None = None) -> int:
    """Hints of ``name``, or of the first unfinished exercise (as ``check`` picks it)."""
    if name is None:
        first = progress.first_unfinished(all_statuses(kit, out))
        if first is None:
            out.print(Text("Every exercise passes its visible tests: no hint needed. Well done!", style="bold green"))
            return 0
        exercise = first.exercise
    else:
        exercise = resolve(name, kit.exercises)
    return show_hints(kit, out, exercise, every=every, level=level)


def show_hints(
    kit: Kit, out: Console, exercise: Exercise, *, every: bool = False, level: int | None = None, again: str | None = None
) -> int:
    """``again``: how to ask for the next hint where a command is not how (``awaitlings watch``'s key)."""
    state = State(kit.state_dir)
    shown, total = state.hints_shown(exercise.name), len(exercise.hints)
    if every:
        count = total
    elif level is not None:
        count = max(1, min(level, total))
    else:
        count = min(shown + 1, total)
    state.set_hints_shown(exercise.name, max(shown, count))
    state.save()
    for number, text in enumerate(exercise.hints[:count], 1):
        out.print(Text(f"Hint {number} of {total} for {exercise.name}:", style="bold" if number == count else "dim"))
        out.print(Text("  " + text, style="" if number == count else "dim"))
    if count < total:
        out.print(Text(again.format(next=count + 1) if again else f"Run `awaitlings hint {exercise.number}` again for "
                       f"hint {count + 1}, or `awaitlings hint {exercise.number} --all`."))
    else:
        out.print(Text(f"That was the last hint. The concept: {exercise.readme} · docs: {exercise.docs}"))
    return 0


# awaitlings reset

def reset(kit: Kit, out: Console, name: str) -> int:
    exercise = resolve(name, kit.exercises)
    done = stubs.reset(kit, exercise)
    shown = kit.shown(done.path)
    if done.unchanged:
        out.print(f"{shown} already is the untouched stub; nothing to reset.")
        return 0
    out.print(Text(f"Restored {shown} to the untouched stub (from {done.origin})."))
    if done.backup is not None:
        out.print(Text.assemble("Your version is saved as ", (kit.shown(done.backup), "bold"), "."))
    return 0
