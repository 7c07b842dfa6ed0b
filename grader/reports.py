"""The batch grader's outputs: gradebook.csv, grades.json, feedback/<learner>.md, report.html.

Every file is written atomically. Feedback carries the checks' titles and teaching
messages and the next hint; never a check's source or the reference solution.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections import Counter
from dataclasses import asdict
from html import escape
from pathlib import Path

from grader import messages
from grader.batch import LearnerResult, Plan, commit_file, file_name
from grader.timeline import svg_from_data

LINE_LIMIT = 2000  # characters of one line of a message in feedback


def _max(plan: Plan, exercise: str) -> float:
    return sum(c.max_points for c in plan.checks[exercise])


def gradebook(plan: Plan, results: list[LearnerResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [e.name for e in plan.exercises]
    writer.writerow(["learner", *names, "total", "max", "problems"])
    total_max = sum(_max(plan, n) for n in names)
    for result in results:
        scores = [f"{result.score(n):g}" for n in names]
        problems = "; ".join(f"{k}: {v}" for k, v in sorted(result.problems.items()))
        writer.writerow([_cell(result.learner), *scores, f"{result.score():g}", f"{total_max:g}", _cell(problems)])
    return out.getvalue()


def _cell(text: str) -> str:
    """Text from a submission as a spreadsheet cell that is never read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def grades_json(plan: Plan, results: list[LearnerResult], isolation: dict) -> str:
    return json.dumps(
        {
            "exercises": {e.name: {"title": e.title, "max_points": _max(plan, e.name)} for e in plan.exercises},
            "isolation": isolation,
            "learners": [asdict(r) for r in results],
        },
        indent=1,
    )


def feedback(plan: Plan, result: LearnerResult) -> str:
    lines = [f"# Feedback for {_code(result.learner)}", "", f"Total: **{result.score():g} / {sum(_max(plan, e.name) for e in plan.exercises):g}**", ""]
    for exercise in plan.exercises:
        checks = [c for c in result.checks if c.exercise == exercise.name]
        lines += [f"## {exercise.name}: {exercise.title} — {result.score(exercise.name):g} / {_max(plan, exercise.name):g}", ""]
        if exercise.name in result.graded:
            lines += [f"Graded: {_code(result.graded[exercise.name])}", ""]
        for check in checks:
            mark = "✅" if check.outcome == "passed" else "❌"
            lines.append(f"- {mark} {check.title} ({check.points:g}/{check.max_points:g})")
            if check.outcome != "passed" and check.message:
                fence = _fence(check.message)
                shown = [messages.printable(line, LINE_LIMIT) for line in check.message.splitlines()]  # no terminal escapes
                lines += ["", f"  {fence}text", *(f"  {line}" for line in shown), f"  {fence}", ""]
            if check.schedule:
                lines += ["", f"  {svg_from_data(check.schedule)}", ""]
        if any(c.outcome != "passed" for c in checks) and exercise.hints:
            lines += ["", f"Hint: {exercise.hints[0]}", ""]
        lines.append("")
    return "\n".join(lines)


def _code(text: str) -> str:
    """``text`` as a Markdown code span, which shows it as it is: a learner id like
    ``[click](https://…)`` stays text, not a link; backticks in it cannot end the span."""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""  # else the ticks would run together
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str) -> str:
    """A Markdown code fence longer than any run of backticks in ``text``: a message cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _bars(rows: list[tuple[str, float]], maximum: float, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG."""
    height = 22 * len(rows) + 10
    parts = []
    for i, (label, value) in enumerate(rows):
        width = 0 if not maximum else 360 * value / maximum
        y = 22 * i + 5
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(label[:40])}</text>'
            f'<rect x="260" y="{y + 2}" width="{width:.1f}" height="16" fill="#2b7bb9"/>'
            f'<text x="{266 + width:.1f}" y="{y + 14}" font-size="12">{value:g}{unit}</text>'
        )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="700" height="{height}" font-family="sans-serif">{"".join(parts)}</svg>'


def _suspicion(result: LearnerResult) -> str:
    """Why a submission deserves a look, or "": what stopped its grading, tampering, runs cut short."""
    def exercises(kept) -> str:
        return ", ".join(sorted({c.exercise for c in result.checks if kept(c)}))

    reasons = [f"{k}: {v}" for k, v in result.problems.items()]
    if tampered := exercises(lambda c: c.message.startswith(messages.TAMPERED_START)):
        reasons.append(f"changed the grader while its checks ran: {tampered}")
    if cut := exercises(lambda c: c.outcome == "no result"):
        reasons.append(f"a run ended early: {cut}")
    return "; ".join(reasons)


def report_html(plan: Plan, results: list[LearnerResult]) -> str:
    total_max = sum(_max(plan, e.name) for e in plan.exercises) or 1
    scores = [r.score() for r in results]
    buckets = Counter(min(int(10 * s / total_max), 9) for s in scores)
    distribution = [(f"{10 * b}–{10 * b + 10}%", float(buckets.get(b, 0))) for b in range(10)]
    per_exercise = [
        (e.name, round(100 * statistics.mean([r.score(e.name) / (_max(plan, e.name) or 1) for r in results]), 1) if results else 0.0)
        for e in plan.exercises
    ]
    check_rates = []
    for exercise in plan.exercises:
        for check in plan.checks[exercise.name]:
            outcomes = [c.outcome for r in results for c in r.checks if c.exercise == exercise.name and c.check == check.check]
            rate = 100 * outcomes.count("passed") / len(outcomes) if outcomes else 0.0
            check_rates.append((f"{exercise.number} {check.title}", round(rate, 1)))
    check_rates.sort(key=lambda row: row[1])
    timing = Counter((c.exercise, c.title) for r in results for c in r.checks if c.schedule)
    example = ""
    if timing:
        (exercise_name, title), count = timing.most_common(1)[0]
        sample = next(c for r in results for c in r.checks if c.schedule and (c.exercise, c.title) == (exercise_name, title))
        example = (
            f"<h2>The most common timing failure: {escape(exercise_name)}, “{escape(title)}” ({count} learners)</h2>"
            f"<p>One learner's schedule against the expected one:</p>{svg_from_data(sample.schedule)}"
        )
    slowest = sorted(results, key=lambda r: -sum(c.duration for c in r.checks))[:5]
    suspicious = [(r, reason) for r in results if (reason := _suspicion(r))]
    rows = "".join(
        f"<tr><td>{escape(r.learner)}</td>"
        + "".join(f"<td>{r.score(e.name):g}</td>" for e in plan.exercises)
        + f"<td><b>{r.score():g}</b></td></tr>"
        for r in results
    )
    head = "".join(f"<th>{escape(e.name)}</th>" for e in plan.exercises)
    listing = lambda items: "".join(f"<li>{item}</li>" for item in items) or "<li>none</li>"  # noqa: E731
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>awaitlings report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}td:first-child{{text-align:left}}</style></head>
<body><h1>awaitlings report</h1>
<p>{len(results)} learners · {len(plan.exercises)} exercises · {total_max:g} points ·
mean {statistics.mean(scores) if scores else 0:.1f} · median {statistics.median(scores) if scores else 0:g}</p>
<h2>Score distribution (learners per band of the total)</h2>{_bars(distribution, max([v for _, v in distribution] + [1]))}
<h2>Mean score per exercise</h2>{_bars(per_exercise, 100, "%")}
<h2>Pass rate per check (the mistakes the class makes most come first)</h2>{_bars(check_rates, 100, "%")}
{example}
<h2>Slowest submissions (time inside the checks)</h2><ul>{listing(f"{escape(r.learner)}: {sum(c.duration for c in r.checks):.2f} s" for r in slowest)}</ul>
<h2>Suspicious submissions (problems, tampering, killed or cut-short runs)</h2><ul>{listing(
    f"{escape(r.learner)}: {escape(reason)}" for r, reason in suspicious)}</ul>
<h2>Gradebook</h2><table><tr><th>learner</th>{head}<th>total</th></tr>{rows}</table>
</body></html>
"""


def write_all(out: Path, plan: Plan, results: list[LearnerResult], isolation: dict) -> None:
    commit_file(out / "gradebook.csv", gradebook(plan, results))
    commit_file(out / "grades.json", grades_json(plan, results, isolation))
    for result in results:
        commit_file(out / "feedback" / f"{file_name(result.learner)}.md", feedback(plan, result))
    commit_file(out / "report.html", report_html(plan, results))
