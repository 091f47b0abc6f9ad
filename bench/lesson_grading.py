"""How long grading a lesson step takes: every seed of the step's scenario, as fast as possible,
in one process, for the step's reference design (what a learner who got it right waits for).
Issue 10's target: at most 3 s per step of the case study on this 2-core machine.

Beside each grade, the baseline in the same round: the bare engine running the same scenario's
runs (lab.sim.simulate on the scenario-applied topology, every seed), so the report also says
what grading adds on top of simulating (scenario, goals, spans, advice). Rounds alternate the two;
medians are reported, with min-max, because the machine is shared and noisy.

    .venv/bin/python bench/lesson_grading.py                      # every lesson, 5 rounds
    .venv/bin/python bench/lesson_grading.py --lesson startup-growth --rounds 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lab.lessons import scenario as scenarios  # noqa: E402
from lab.lessons.grading import grade_step  # noqa: E402
from lab.lessons.loader import load_all  # noqa: E402
from lab.sim import simulate  # noqa: E402

CONTENT = Path(__file__).resolve().parents[1] / "lab" / "lessons" / "content"


def bare(step: object, topology: dict) -> None:
    imposed, problems = scenarios.apply(topology, step.scenario)
    assert not problems, problems
    for seed in step.scenario.seeds:
        simulate(imposed, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", help="one lesson id (default: all)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    index = load_all(CONTENT)
    lessons = [lesson for lesson in index.lessons if not args.lesson or lesson.id == args.lesson]
    worst = worst_first = 0.0
    for lesson in lessons:
        print(f"{lesson.id}")
        for i, step in enumerate(lesson.steps):
            reference = lesson.design(step.reference)
            start = lesson.start_design(i)
            grades, bares, firsts = [], [], []
            for _ in range(args.rounds):
                t = time.perf_counter()
                result = grade_step(step, reference, start_topology=start)
                grades.append(time.perf_counter() - t)
                t = time.perf_counter()
                bare(step, reference)
                bares.append(time.perf_counter() - t)
                # A learner's first attempt on a step also runs the start design on the same
                # seeds, for the comparison chart (later attempts reuse those runs).
                t = time.perf_counter()
                grade_step(step, reference, start_topology=start)
                bare(step, start)
                firsts.append(time.perf_counter() - t)
            g, b, f = statistics.median(grades), statistics.median(bares), statistics.median(firsts)
            worst = max(worst, g) if lesson.id == "startup-growth" else worst
            worst_first = max(worst_first, f) if lesson.id == "startup-growth" else worst_first
            print(f"  {step.id:28s} {len(step.scenario.seeds)} seeds: grade {g:.2f} s "
                  f"(min {min(grades):.2f}, max {max(grades):.2f}); bare engine {b:.2f} s; "
                  f"grade/bare {g / b:.2f}x; first attempt (with the start's runs) {f:.2f} s; "
                  f"{'passed' if result.passed else 'NOT PASSED'}")
    if any(lesson.id == "startup-growth" for lesson in lessons):
        print(f"slowest case-study step: {worst:.2f} s (target <= 3 s; includes the start design's runs for relative goals); "
              f"a first attempt with the comparison's start runs, in one process: {worst_first:.2f} s "
              "(the server spreads its runs over the workers)")


if __name__ == "__main__":
    main()
