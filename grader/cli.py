"""The ``awaitlings`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader import catalog, commands, output
from grader.kit import Kit, KitNotFound
from grader.names import UnknownExercise
from grader.stubs import NoStub


def _verify(args: argparse.Namespace) -> int:
    from grader.verify import verify

    console = Console()
    with console.status("Running every check on the solutions and on the stubs…"):
        verdicts = verify(args.root or catalog.KIT_ROOT)
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


def _grade(args: argparse.Namespace) -> int:
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from grader import batch, intake, reports
    from grader.runner import isolation_in_force

    root = args.root or catalog.KIT_ROOT
    console = Console(stderr=True)
    try:
        entries = intake.entries(args.submissions)
    except intake.IntakeError as error:
        print(f"awaitlings grade: {error}", file=sys.stderr)
        return 2
    try:
        with console.status("Collecting the hidden checks (run once on the reference solutions)…"):
            plan = batch.plan(root, args.exercise)
    except ValueError as error:  # a broken exercise.toml in the kit
        print(f"awaitlings grade: {error}", file=sys.stderr)
        return 2
    if not plan.exercises:
        print(f"awaitlings grade: no exercise matches {' '.join(args.exercise)}", file=sys.stderr)
        return 2
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("", total=len(entries))
        results = batch.grade(
            args.submissions, args.out, plan, jobs=args.jobs or os.cpu_count() or 1, resume=args.resume,
            progress=lambda learner: progress.update(task, advance=1, description=learner),
        )
    reports.write_all(args.out, plan, results, isolation_in_force())
    total = sum(sum(c.max_points for c in plan.checks[e.name]) for e in plan.exercises)
    table = Table(title=f"{len(results)} learners graded → {args.out}")
    for column in ("learner", "score", "problems"):
        table.add_column(column)
    for result in results:
        table.add_row(result.learner, f"{result.score():g} / {total:g}", "; ".join(result.problems.values()))
    Console().print(table)
    print(f"Wrote {args.out}/gradebook.csv, grades.json, feedback/<learner>.md and report.html")
    return 0


def _learner(command):
    """Run a learner command on the kit found from the current folder (or --root)."""

    def run(args: argparse.Namespace) -> int:
        out = output.console()
        try:
            kit = Kit.locate(args.root)
            kit.exercises  # a broken exercise.toml is reported here, once
        except (KitNotFound, ValueError) as error:
            print(f"awaitlings: {error}", file=sys.stderr)
            return 2
        try:
            return command(kit, out, args)
        except UnknownExercise as error:
            print(f"awaitlings: {error}", file=sys.stderr)
            return 2
        except NoStub as error:
            print(f"awaitlings: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130

    return run


def _list(kit: Kit, out, args: argparse.Namespace) -> int:
    return commands.show_list(kit, out)


def _check(kit: Kit, out, args: argparse.Namespace) -> int:
    return commands.check(kit, out, args.exercise)


def _hint(kit: Kit, out, args: argparse.Namespace) -> int:
    return commands.hint(kit, out, args.exercise, every=args.all, level=args.level)


def _reset(kit: Kit, out, args: argparse.Namespace) -> int:
    return commands.reset(kit, out, args.exercise)


def _watch(kit: Kit, out, args: argparse.Namespace) -> int:
    from grader.watch import watch

    return watch(kit, out, args.exercise, poll=args.poll)


NAME = "exercise: its number, folder or topic, e.g. 03, 03_gather or gather"


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="awaitlings",
        description="Graded exercises that teach asyncio. Run it from the kit's folder.",
        epilog="Start with `awaitlings list`, then `awaitlings watch`.",
    )
    main.add_argument("--root", type=Path, default=None,
                      help="the kit's folder (default: the current folder, or one above it, if it holds "
                      "exercises/, else this kit; for verify: this kit)")
    commands_ = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands_.add_parser("list", help="every exercise with its status and your progress")
    listing.set_defaults(run=_learner(_list))
    check = commands_.add_parser("check", help="run the visible tests of an exercise (default: the first unfinished)")
    check.add_argument("exercise", nargs="?", help=NAME)
    check.set_defaults(run=_learner(_check))
    hint = commands_.add_parser("hint", help="show the next hint of an exercise, one more each time")
    hint.add_argument("exercise", help=NAME)
    hint.add_argument("--all", action="store_true", help="show every hint")
    hint.add_argument("--level", type=int, default=None, help="show the first LEVEL hints")
    hint.set_defaults(run=_learner(_hint))
    watch = commands_.add_parser(
        "watch", help="re-run the current exercise's tests on every save; keys: h hint, l list, n next, r rerun, q quit"
    )
    watch.add_argument("exercise", nargs="?", help=f"where to start (default: the first unfinished); {NAME}")
    watch.add_argument("--poll", action="store_true",
                       help="look for changes by polling (for folders where file events do not arrive)")
    watch.set_defaults(run=_learner(_watch))
    reset = commands_.add_parser("reset", help="put the untouched stub back, keeping your file as a backup")
    reset.add_argument("exercise", help=NAME)
    reset.set_defaults(run=_learner(_reset))
    commands_.add_parser("verify", help="(instructors) prove every solution passes and every stub fails").set_defaults(
        run=_verify
    )
    grade = commands_.add_parser("grade", help="(instructors) grade a folder of submissions against the hidden checks")
    grade.add_argument("submissions", type=Path, help="a folder with one folder or archive (.zip, .tar.gz) per learner")
    grade.add_argument("--out", type=Path, required=True, help="where the gradebook, feedback and report go")
    grade.add_argument("--jobs", type=int, default=None, help="learners graded at once (default: the number of cores)")
    grade.add_argument("--exercise", nargs="*", default=None, metavar="NN", help="grade only these exercises")
    grade.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                       help="keep learners already graded in --out whose files and checks are unchanged (default)")
    grade.set_defaults(run=_grade)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
