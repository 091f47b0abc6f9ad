"""Evidence, not anecdotes: many runs of a design, and what they say together.

One run with one seed is an anecdote. This package plans many runs (a sweep over a parameter's
values, one design over many seeds, two designs on the same seeds), runs each with one pure
function that any executor can call, and aggregates the runs' summaries into documents with
intervals, bands, verdicts and the knee of a load curve in words (docs/evidence.md).

    from lab.sim import load
    from lab.sim.evidence import plan_sweep, run_plans, aggregate_sweep

    topology = load(open("lab/sim/examples/reference.json").read())
    plan = plan_sweep(topology, {"axes": [{"workload": "rate_per_s",
                                           "range": {"start": 200, "stop": 2000, "steps": 10}}],
                                 "seeds": 5})                      # raises Refused
    document = aggregate_sweep(plan, run_plans(plan.runs))        # run_one on every core
    print(document["knee"]["sentence"])

The modules, one subject each: `axes` (what a sweep varies), `plans` (the runs, checked),
`budgets` (limits over many runs), `running` (`run_one`), `executor` (a local process pool),
`statistics` (the methods), `combine`, `sweeps`, `knee`, `pareto`, `replications`,
`comparison` (the documents), `wording` (figures in sentences), `cli` (the subcommands).
"""
from .axes import Axis
from .budgets import EvidenceBudget
from .comparison import aggregate_comparison
from .documents import RunSummary
from .executor import Cancelled, run_plans
from .pareto import pareto_front
from .plans import Plan, RunSpec, plan_comparison, plan_replications, plan_sweep
from .replications import aggregate_replications
from .running import run_one
from .sweeps import aggregate_sweep

__all__ = ["Axis", "Cancelled", "EvidenceBudget", "Plan", "RunSpec", "RunSummary", "aggregate_comparison",
           "aggregate_replications", "aggregate_sweep", "pareto_front", "plan_comparison", "plan_replications",
           "plan_sweep", "run_one", "run_plans"]
