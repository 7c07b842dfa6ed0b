"""The ``awaitlings`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader import catalog


def _verify(args: argparse.Namespace) -> int:
    from grader.verify import verify

    console = Console()
    with console.status("Running every check on the solutions and on the stubs…"):
        verdicts = verify(args.root)
    table = Table(title="awaitlings verify")
    for column in ("exercise", "solution", "stub", "verdict"):
        table.add_column(column)
    for verdict in verdicts:
        status = "[green]ok[/]" if verdict.ok else "[red]" + "\n".join(verdict.problems) + "[/]"
        table.add_row(verdict.exercise, verdict.solution, verdict.stub, status)
    console.print(table)
    bad = [v.exercise for v in verdicts if not v.ok]
    if bad:
        console.print(f"[red]{len(bad)} exercise(s) not sound: {', '.join(bad)}[/]")
        return 1
    console.print(f"[green]All {len(verdicts)} exercises sound:[/] every solution passes, every stub fails.")
    return 0


def _hint(args: argparse.Namespace) -> int:
    try:
        exercise = catalog.find(args.exercise, args.root)
    except LookupError as error:
        print(f"awaitlings: {error}. `awaitlings list` shows the exercises.", file=sys.stderr)
        return 2
    hints = exercise.hints if args.all else exercise.hints[: max(args.level, 1)]
    for number, text in enumerate(hints, 1):
        print(f"Hint {number}/{len(exercise.hints)} for {exercise.name}: {text}\n")
    if len(hints) < len(exercise.hints):
        print(f"More: awaitlings hint {exercise.number} --level {len(hints) + 1}")
    return 0


def _list(args: argparse.Namespace) -> int:
    table = Table(title="awaitlings exercises")
    for column in ("#", "folder", "title"):
        table.add_column(column)
    for exercise in catalog.exercises(args.root):
        table.add_row(exercise.number, exercise.name, exercise.title)
    Console().print(table)
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="awaitlings", description="Graded exercises that teach asyncio.")
    main.add_argument("--root", type=Path, default=catalog.KIT_ROOT, help="the kit's folder (default: this kit)")
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="prove every solution passes and every stub fails").set_defaults(run=_verify)
    commands.add_parser("list", help="list the exercises").set_defaults(run=_list)
    hint = commands.add_parser("hint", help="show the hints of an exercise, one level at a time")
    hint.add_argument("exercise", help="number or folder, e.g. 03 or 03_gather")
    hint.add_argument("--level", type=int, default=1, help="how many hints to show (default 1)")
    hint.add_argument("--all", action="store_true", help="show every hint")
    hint.set_defaults(run=_hint)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
