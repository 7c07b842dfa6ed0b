"""The ``awaitlings`` command."""

from __future__ import annotations

import argparse
import os
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

    root = args.root or catalog.KIT_ROOT
    lacking = [name for name in ("solutions", "checks") if not (root / name).is_dir()]
    if lacking:
        print(f"awaitlings verify is for instructors: {root} has no {' or '.join(f'{n}/' for n in lacking)} "
              "(a learner's kit holds neither). Use `awaitlings check` for your own work.", file=sys.stderr)
        return 2
    console = Console()
    with console.status("Running every check on the solutions and on the stubs…"):
        verdicts = verify(root)
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


def _executor(args: argparse.Namespace):
    """The dask cluster's executor when asked for, else None (the local pool)."""
    if args.executor != "dask":
        return None
    from distributed import Client, LocalCluster

    if args.scheduler:
        return Client(args.scheduler).get_executor(pure=False)
    cluster = LocalCluster(n_workers=args.jobs or os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None)
    return Client(cluster).get_executor(pure=False)


def _grade(args: argparse.Namespace) -> int:
    from rich.markup import escape  # names and problems come from submissions: no markup of theirs
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from grader import batch, intake, reports
    from grader.messages import printable
    from grader.runner import isolation_in_force

    root = args.root or catalog.KIT_ROOT
    console = Console(stderr=True)
    try:
        entries = intake.entries(args.submissions, leave_out=args.out)
        _writable_out(args.out, args.submissions)
    except intake.IntakeError as error:
        print(f"awaitlings grade: {error}", file=sys.stderr)
        return 2
    for name, why in intake.skipped(args.submissions, leave_out=args.out):
        print(f"awaitlings grade: skipped {printable(name, 120)}: {why}", file=sys.stderr)
    try:
        with console.status("Collecting the hidden checks (run once on the reference solutions)…"):
            plan = batch.plan(root, args.exercise)
    except (ValueError, UnknownExercise) as error:  # a broken exercise.toml in the kit; --exercise 99
        print(f"awaitlings grade: {error}", file=sys.stderr)
        return 2
    others = batch.other_exercises(args.out, plan) if args.resume else []
    if others:
        print(f"awaitlings grade: {args.out} holds grades of {', '.join(others)} too; this run grades "
              f"{', '.join(e.name for e in plan.exercises)} and replaces them (use another --out to keep them)",
              file=sys.stderr)
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), TextColumn("{task.description}"))
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("", total=len(entries))
            results = batch.grade(
                args.submissions, args.out, plan, jobs=args.jobs or os.cpu_count() or 1, resume=args.resume,
                executor=_executor(args),
                progress=lambda learner: progress.update(task, advance=1, description=escape(learner)),
            )
    except KeyboardInterrupt:
        saved = len(list((args.out / ".learners").glob("*.json")))
        print(f"awaitlings grade: interrupted; {saved} learner(s) saved in {args.out}/.learners. "
              "Run the same command to grade the rest.", file=sys.stderr)
        return 130
    except OSError as error:  # the outputs' disk is full or read-only: what is saved stays
        saved = len(list((args.out / ".learners").glob("*.json")))
        print(f"awaitlings grade: cannot write to {args.out} ({error.strerror}); {saved} learner(s) saved. "
              "Free the space (or fix the folder) and run the same command to grade the rest.", file=sys.stderr)
        return 1
    try:
        reports.write_all(args.out, plan, results, isolation_in_force())
    except OSError as error:
        print(f"awaitlings grade: every learner is graded and saved, but the reports could not be written to "
              f"{args.out} ({error.strerror}); run the same command again once it can be written", file=sys.stderr)
        return 1
    total = sum(sum(c.max_points for c in plan.checks[e.name]) for e in plan.exercises)
    table = Table(title=f"{len(results)} learners graded → {args.out}")
    for column in ("learner", "score", "problems"):
        table.add_column(column)
    for result in results:
        table.add_row(escape(result.learner), f"{result.score():g} / {total:g}", escape("; ".join(result.problems.values())))
    Console().print(table)
    print(f"Wrote {args.out}/gradebook.csv, grades.json, feedback/<learner>.md and report.html")
    return 0


def _writable_out(out: Path, submissions: Path) -> None:
    """Refuse, before any grading, an --out that cannot hold the outputs (IntakeError says why)."""
    from grader.intake import IntakeError

    if out.resolve() == submissions.resolve():
        raise IntakeError(f"--out {out} is the submissions folder: its outputs would become learners")
    if out.exists() and not out.is_dir():
        raise IntakeError(f"--out {out} is a file, not a folder")
    probe, made = out / f".awaitlings-write-test-{os.getpid()}", not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
        if made:  # made by the grading once the checks are collected, not by a command that stops before
            out.rmdir()
    except OSError as error:
        raise IntakeError(f"cannot write to --out {out} ({error.strerror})") from None


def _release(args: argparse.Namespace) -> int:
    from grader import release

    root = args.root or catalog.KIT_ROOT
    try:
        made = release.release(root, args.out, args.exercise)
        if args.checks_archive:
            release.write_checks_archive(root, args.checks_archive, made.exercises)
    except (release.ReleaseError, OSError, UnknownExercise) as error:
        print(f"awaitlings release: {error}", file=sys.stderr)
        return 2
    for name, why in made.skipped.items():
        print(f"awaitlings release: left out {name}: {why}", file=sys.stderr)
    print(f"Released {len(made.exercises)} exercises ({', '.join(made.exercises)}) into {made.out}: {len(made.files)} files")
    if args.checks_archive:
        print(f"Wrote the hidden checks pack {args.checks_archive}: keep it private (see README, 'The student kit, and autograding pull requests')")
    return 0


def _ci(args: argparse.Namespace) -> int:
    from grader import ci

    return ci.run(args.checks, args.submission, only=args.exercise, out=args.out, results=args.results,
                  visibility=args.visibility, fail_under=args.fail_under, learner=args.learner)


def _gradescope_bundle(args: argparse.Namespace) -> int:
    from grader import gradescope, release

    try:
        exercises = gradescope.write_bundle(args.root or catalog.KIT_ROOT, args.out, args.exercise, args.visibility)
    except (release.ReleaseError, OSError, UnknownExercise) as error:
        print(f"awaitlings gradescope-bundle: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: grades {', '.join(exercises)}. Upload it as the assignment's autograder (zip).")
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
        if args.root is None and not kit.holds(Path.cwd()):
            print(f"awaitlings: no kit in {Path.cwd()} or above it; using the one awaitlings was installed from, "
                  f"{kit.root}", file=sys.stderr)
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
    commands_ = main.add_subparsers(dest="command", metavar="COMMAND")
    listing = commands_.add_parser("list", help="every exercise with its status and your progress")
    listing.set_defaults(run=_learner(_list))
    check = commands_.add_parser("check", help="run the visible tests of an exercise (default: the first unfinished)")
    check.add_argument("exercise", nargs="?", help=NAME)
    check.set_defaults(run=_learner(_check))
    hint = commands_.add_parser("hint", help="show the next hint of an exercise (default: the first unfinished), one more each time")
    hint.add_argument("exercise", nargs="?", help=NAME)
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
    grade.add_argument("--exercise", nargs="+", action="extend", default=None, metavar="NN", help="grade only these exercises")
    grade.add_argument("--executor", choices=["local", "dask"], default="local",
                       help="local: --jobs child processes here; dask: a dask.distributed cluster (awaitlings[dask])")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="the dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster of --jobs workers)")
    grade.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                       help="keep learners already graded in --out whose files and checks are unchanged (default)")
    grade.set_defaults(run=_grade)
    _autograding_commands(commands_)
    return main


def _autograding_commands(commands_) -> None:
    from grader.gradescope import VISIBILITIES

    shipped = commands_.add_parser("release", help="(instructors) build the student kit: stubs, visible tests, "
                                   "README, the autograding workflow; never a solution or a hidden check")
    shipped.add_argument("--out", type=Path, required=True, help="a new or empty folder, or an earlier release")
    shipped.add_argument("--exercise", nargs="+", action="extend", default=None, metavar="NN", help="release only these exercises")
    shipped.add_argument("--checks-archive", type=Path, default=None, metavar="FILE.tar.gz",
                         help="also write the private hidden-checks pack that CI downloads (keep it private)")
    shipped.set_defaults(run=_release)
    graded = commands_.add_parser("ci", help="(CI, Gradescope) grade one submission against the hidden checks; "
                                  "exit 0 whatever the score, 1 below --fail-under, 2 if the grader could not run")
    graded.add_argument("--checks", type=Path, default=None,
                        help="the hidden checks: a checks pack or kit folder, or its .tar.gz/.zip "
                        "(default: $AWAITLINGS_CHECKS, else this kit)")
    graded.add_argument("--submission", type=Path, default=None,
                        help="the learner's folder (or archive) of NN_topic folders (default: exercises, else .)")
    graded.add_argument("--exercise", nargs="+", action="extend", default=None, metavar="NN", help="grade only these exercises")
    graded.add_argument("--out", type=Path, default=Path("awaitlings-results"),
                        help="where results.json (Gradescope) and junit.xml go (default: awaitlings-results)")
    graded.add_argument("--results", type=Path, default=None, help="write results.json here instead of OUT/results.json")
    graded.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="Gradescope visibility of the tests (default: visible)")
    graded.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                        help="exit 1 when the score is below PERCENT of the points (default: exit 0 whatever the score)")
    graded.add_argument("--learner", default=None, help="the learner's name in the results (default: $GITHUB_REPOSITORY)")
    graded.set_defaults(run=_ci)
    bundle = commands_.add_parser("gradescope-bundle", help="(instructors) build a Gradescope autograder zip")
    bundle.add_argument("--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip")
    bundle.add_argument("--exercise", nargs="+", action="extend", default=None, metavar="NN", help="grade only these exercises")
    bundle.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="when learners see each check's result (default: visible)")
    bundle.set_defaults(run=_gradescope_bundle)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command is None:  # bare `awaitlings`: where you stand, and what to run next
        args = parser().parse_args([*argv, "list"])
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
