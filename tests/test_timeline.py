"""The timeline draws exactly the schedule it is given."""

import xml.etree.ElementTree as ElementTree

import pytest

from grader.timeline import Mark, Span, checked_data, render, render_svg, svg_from_data

SEQUENTIAL = [Span("'a'", 0, 1), Span("'b'", 1, 2), Span("'c'", 2, 3)]
TOGETHER = [Span("'a'", 0, 1), Span("'b'", 0, 1), Span("'c'", 0, 1)]
BOUNDED_BY_2 = [Span(str(n), n // 2, n // 2 + 1) for n in range(4)]


def bars(text):
    """The bar column of each schedule row (label and times stripped)."""
    return [line.split()[1] for line in text.splitlines() if "█" in line]


def test_sequential_is_a_staircase_above_a_stack():
    text = render(SEQUENTIAL, TOGETHER, width=49, expected_title="Expected")  # 12 columns of bar
    assert text.splitlines() == [
        "Your schedule (3 calls, loop time):",
        "  'a'        ████········ 0.0–1.0 s",
        "  'b'        ····████···· 1.0–2.0 s",
        "  'c'        ········████ 2.0–3.0 s",
        "Expected:",
        "  'a'        ████········ 0.0–1.0 s",
        "  'b'        ████········ 0.0–1.0 s",
        "  'c'        ████········ 0.0–1.0 s",
        "             0 s      3 s",
    ]


def test_concurrent_calls_are_equal_bars():
    assert bars(render(TOGETHER, width=49)) == ["████████████"] * 3


def test_semaphore_of_two_runs_in_pairs():
    halves = ["█████·····", "█████·····", "·····█████", "·····█████"]
    assert bars(render(BOUNDED_BY_2, width=47)) == halves  # 10 columns of bar


def test_blocked_moment_is_marked_and_named():
    text = render(TOGETHER, marks=(Mark(0.5, "time.sleep at gather.py:12"),), width=47)
    blocked = [line for line in text.splitlines() if line.strip().startswith("blocked")]
    assert blocked == ["  blocked         ▲     0.5 s: time.sleep at gather.py:12"]


def test_unfinished_and_failed_calls_say_so():
    text = render([Span("'a'", 0, None, "running"), Span("'b'", 0, 1, "fail")], width=40)
    assert "0.0 s → still running" in text and "0.0–1.0 s failed" in text


@pytest.mark.parametrize("calls", [2, 12, 13, 50])
def test_fits_80_columns_and_elides_past_the_limit(calls):
    spans = [Span(f"item-number-{n}", 0, 1 + n % 5) for n in range(calls)]
    lines = render(spans, spans).splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if "█" in line]
    if calls <= 12:
        assert len(rows) == 2 * calls
    else:
        assert len(rows) == 2 * 11
        assert f"… {calls - 11} more calls …" in "\n".join(lines)


def test_svg_is_well_formed_with_a_rect_per_span():
    svg = render_svg(SEQUENTIAL, TOGETHER, marks=(Mark(1.0, "time.sleep at gather.py:12"),))
    root = ElementTree.fromstring(svg)
    rects = root.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 1 + 4 + len(SEQUENTIAL) + len(TOGETHER)  # background, legend, one per span
    assert "time.sleep at gather.py:12" in svg


def test_a_rendered_timeline_keeps_its_schedule_for_svg():
    mark = Mark(1.0, "time.sleep at gather.py:12")
    picture = render(SEQUENTIAL, TOGETHER, marks=(mark,))
    assert str(picture).startswith("Your schedule (3 calls")
    assert svg_from_data(picture.data()) == render_svg(SEQUENTIAL, TOGETHER, marks=(mark,))


def test_a_schedule_from_a_record_is_drawn_as_well_formed_printable_svg():
    """A mark quoting the learner's line (escape sequences, a bell, a lone surrogate) is drawn
    with ``?`` for each: nothing reaches a terminal that shows the feedback, and the SVG parses."""
    hostile = "time.sleep(0.01)  # \x1b]0;pwned\x07\x1b[2J\x1b[31mRED \ud800"
    data = checked_data({"actual": [[hostile, 0.0, 1.0, "finish\x1b"]], "expected": None, "marks": [[0.5, hostile]]})
    svg = svg_from_data(data)
    assert "\x1b" not in svg and "\x07" not in svg and "\ud800" not in svg
    assert "# ?]0;pwned??[2J?[31mRED ?" in svg
    ElementTree.fromstring(svg)
