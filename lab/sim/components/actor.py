"""An actor: anything that sends a request on and is told how it ended (a node, or an edge's
resilience policy, which is not a node)."""
from __future__ import annotations

from typing import Any

from ..kernel.interface import Kernel
from ..kernel.request import Request


class Actor:
    """Anything that waits on a request it sent and is told how it ended: a frame on a request's
    stack names its actor, which `resume`s when the call returns and `abort`s when it fails
    downstream (Simulation.reply and Simulation.fail). Every node is an actor; so is an edge's
    resilience policy (parts/resilience.py), which sends attempts of its own and is not a node.
    It fails requests under its own id, and counts those failures by cause."""

    def __init__(self, sim: "Kernel", actor_id: str) -> None:
        self.sim = sim
        self.id = actor_id
        # The kernel's scheduling call, bound once: `self.schedule(t, fn, arg)` runs `fn(arg, t)`
        # at time t. Kinds never touch the event heap themselves.
        self.schedule = sim.schedule
        self.failures: dict[str, int] = {}

    def resume(self, req: Request, state: Any, t: float) -> None:
        """A call this actor made has returned."""
        raise NotImplementedError(f"{type(self).__name__} made a call it cannot resume")

    def abort(self, req: Request, state: Any, t: float, cause: str) -> bool:
        """The request failed while this actor waited on it. Release what is held; return True to
        take the failure over (a queue absorbs its job's failure), False to let it propagate."""
        return False

    def fail(self, req: Request, t: float, cause: str) -> None:
        failures = self.failures
        failures[cause] = failures.get(cause, 0) + 1
        # A timed-out request arrived at t_node and waited until now. A node's own request (a
        # fan-out leaf, a retry) may time out before any node set t_node: then only now is known.
        arrived = getattr(req, "t_node", None) if cause == "timeout" else None
        if arrived is not None:
            hop = (self.id, arrived, t - arrived, 0.0, cause)
        else:
            hop = (self.id, t, 0.0, 0.0, cause)
        if req.trace is not None:
            req.trace.append(hop)
        else:
            req.trace = [hop]  # a failed request keeps at least the hop where it failed
        self.sim.fail(req, t, cause, self.id)
