"""Draw a recorded schedule: which call ran when, on a shared loop-time axis.

``render`` gives text for failure messages (80 columns, no colour needed);
``render_svg`` gives the same picture as a self-contained SVG for reports.
Both draw only what they are given: spans recorded by probes, never assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from grader.messages import printable

RUN, IDLE, BLOCK = "█", "·", "▲"
LABEL = 10  # characters of a row's label
MAX_ROWS = 12  # rows drawn before the middle ones are elided


@dataclass(frozen=True)
class Span:
    """One call, from start to end in loop time; end None if it was still running."""

    label: str
    start: float
    end: float | None
    outcome: str = "finish"  # "finish", "fail", "cancel" or "running"


class Picture(str):
    """A rendered timeline (it is the text) that keeps the schedule it was drawn from,
    so a report can draw the same schedule as SVG."""

    actual: list[Span]
    expected: list[Span] | None
    marks: tuple["Mark", ...]

    def data(self) -> dict:
        """The schedule as plain data (for a record)."""
        spans = lambda items: [[s.label, s.start, s.end, s.outcome] for s in items]  # noqa: E731
        return {
            "actual": spans(self.actual),
            "expected": None if self.expected is None else spans(self.expected),
            "marks": [[m.at, m.label] for m in self.marks],
        }


SPANS_KEPT = 200  # rows of a schedule kept from a record: a real check draws a few dozen


def checked_data(data: object) -> dict | None:
    """A schedule from a record, as ``Picture.data`` makes it, checked and copied with its labels
    printable (a label can quote a learner's line); None if it is anything else. A record comes
    from the learner's process: its schedule may be built by hand."""
    def number(value: object) -> bool:
        return type(value) in (int, float) and math.isfinite(value)

    def spans(items: object) -> list | None:
        if type(items) is not list or len(items) > SPANS_KEPT:
            return None
        kept = []
        for item in items:
            if type(item) is not list or len(item) != 4:
                return None
            label, start, end, outcome = item
            if type(label) is not str or not number(start) or not (end is None or number(end)) or type(outcome) is not str:
                return None
            kept.append([printable(label, 80), start, end, printable(outcome, 16)])
        return kept

    if type(data) is not dict:
        return None
    actual = spans(data.get("actual"))
    expected = None if data.get("expected") is None else spans(data["expected"])
    marks = data.get("marks", [])
    if actual is None or (data.get("expected") is not None and expected is None) or type(marks) is not list:
        return None
    if len(marks) > SPANS_KEPT or not all(type(m) is list and len(m) == 2 and number(m[0]) and type(m[1]) is str for m in marks):
        return None
    return {"actual": actual, "expected": expected, "marks": [[at, printable(label, 80)] for at, label in marks]}


def svg_from_data(data: dict) -> str:
    """``render_svg`` of a schedule kept by ``Picture.data``."""
    spans = lambda items: [Span(*item) for item in items]  # noqa: E731
    expected = None if data.get("expected") is None else spans(data["expected"])
    return render_svg(spans(data["actual"]), expected, marks=tuple(Mark(*m) for m in data.get("marks", [])))


@dataclass(frozen=True)
class Mark:
    """A moment the loop was blocked, with what blocked it."""

    at: float
    label: str


def _axis_end(*schedules: list[Span], marks: tuple[Mark, ...] = ()) -> float:
    times = [t for spans in schedules for s in spans for t in (s.start, s.end) if t is not None]
    times += [m.at for m in marks]
    return max(times, default=0.0) or 1.0


def _column(t: float, total: float, width: int) -> int:
    return min(width, max(0, round(t / total * width)))


def _bar(span: Span, total: float, width: int) -> str:
    first = _column(span.start, total, width)
    last = width if span.end is None else max(_column(span.end, total, width), first + 1)
    last = min(last, width)
    first = min(first, width - 1)
    return IDLE * first + RUN * (last - first) + IDLE * (width - last)


def _t(value: float) -> str:
    """A loop time to 10 ms, keeping one decimal: 1.0, 1.25."""
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text


def _when(span: Span) -> str:
    if span.end is None:
        return f"{_t(span.start)} s → still running"
    suffix = {"fail": " failed", "cancel": " cancelled"}.get(span.outcome, "")
    return f"{_t(span.start)}–{_t(span.end)} s{suffix}"


def _rows(spans: list[Span], total: float, width: int, max_rows: int) -> list[str]:
    def row(span: Span) -> str:
        label = span.label if len(span.label) <= LABEL else span.label[: LABEL - 1] + "…"
        return f"  {label:<{LABEL}} {_bar(span, total, width)} {_when(span)}"

    if len(spans) <= max_rows:
        return [row(s) for s in spans]
    head, tail = spans[: max_rows - 3], spans[-2:]
    hidden = len(spans) - len(head) - len(tail)
    return [row(s) for s in head] + [f"  {'':<{LABEL}} … {hidden} more calls …"] + [row(s) for s in tail]


def render(
    actual: list[Span],
    expected: list[Span] | None = None,
    *,
    marks: tuple[Mark, ...] = (),
    width: int = 80,
    max_rows: int = MAX_ROWS,
    expected_title: str = "Expected",
) -> Picture:
    """The schedule as text rows, the expected one below it, on one axis; fits ``width``."""
    total = _axis_end(actual, expected or [], marks=marks)
    bar_width = max(10, width - LABEL - 3 - 24)
    lines = [f"Your schedule ({len(actual)} call{'' if len(actual) == 1 else 's'}, loop time):"]
    lines += _rows(actual, total, bar_width, max_rows)
    for mark in marks:
        column = min(_column(mark.at, total, bar_width), bar_width - 1)
        lines.append(f"  {'blocked':<{LABEL}} {' ' * column}{BLOCK}{' ' * (bar_width - column - 1)} {_t(mark.at)} s: {mark.label}")
    if expected is not None:
        lines.append(f"{expected_title}:")
        lines += _rows(expected, total, bar_width, max_rows)
    right = f"{total:g} s"
    lines.append(f"  {'':<{LABEL}} 0 s{right:>{bar_width - 3}}")
    picture = Picture("\n".join(lines))
    picture.actual, picture.expected, picture.marks = list(actual), None if expected is None else list(expected), tuple(marks)
    return picture


# --- SVG ---------------------------------------------------------------------------

_COLOURS = {"finish": "#2b7bb9", "fail": "#c0392b", "cancel": "#999999", "running": "#e69f00"}
_ROW, _LEFT, _PLOT, _TOP = 20, 120, 480, 30


def _svg_rows(spans: list[Span], total: float, y: int, title: str) -> tuple[list[str], int]:
    parts = [f'<text x="4" y="{y + 12}" font-weight="bold">{escape(title)}</text>']
    y += _ROW
    for span in spans:
        x0 = _LEFT + span.start / total * _PLOT
        x1 = _LEFT + (total if span.end is None else span.end) / total * _PLOT
        colour = _COLOURS.get(span.outcome, _COLOURS["finish"])
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 13}" text-anchor="end">{escape(span.label[:16])}</text>')
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1.5):.1f}" height="{_ROW - 6}" fill="{colour}">'
            f"<title>{escape(span.label)}: {escape(_when(span))}</title></rect>"
        )
        y += _ROW
    return parts, y


def render_svg(actual: list[Span], expected: list[Span] | None = None, *, marks: tuple[Mark, ...] = ()) -> str:
    """The schedule (and the expected one) as a standalone SVG document."""
    total = _axis_end(actual, expected or [], marks=marks)
    parts, y = _svg_rows(actual, total, _TOP, "Your schedule")
    for mark in marks:
        x = _LEFT + mark.at / total * _PLOT
        parts.append(
            f'<path d="M{x:.1f},{y + 14} l-6,10 h12 z" fill="#c0392b"><title>{escape(mark.label)}</title></path>'
            f'<text x="{x + 10:.1f}" y="{y + 23}" fill="#c0392b">{escape(mark.label)}</text>'
        )
        y += _ROW + 8
    if expected is not None:
        more, y = _svg_rows(expected, total, y + 8, "Expected")
        parts += more
    ticks = []
    for i in range(6):
        x = _LEFT + i * _PLOT / 5
        ticks.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>')
        ticks.append(f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle">{total * i / 5:g} s</text>')
    legend = "".join(
        f'<rect x="{_LEFT + 150 + i * 82}" y="6" width="10" height="10" fill="{colour}"/>'
        f'<text x="{_LEFT + 164 + i * 82}" y="15">{name}</text>'
        for i, (name, colour) in enumerate(
            (("finished", _COLOURS["finish"]), ("failed", _COLOURS["fail"]), ("cancelled", _COLOURS["cancel"]), ("running", _COLOURS["running"]))
        )
    )
    height = y + 24
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LEFT + _PLOT + 20}" height="{height}" '
        f'font-family="sans-serif" font-size="12" role="img" aria-label="schedule of calls in loop time">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="4" y="16" fill="#555">loop time →</text>{legend}{"".join(ticks)}{"".join(parts)}</svg>'
    )
