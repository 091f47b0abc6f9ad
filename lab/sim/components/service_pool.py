"""Service pool: VMs or containers running an application. Instances times workers serve one FIFO
queue; after its own work a request calls the pool's dependencies (outgoing edges) in turn. With
`autoscale` on, a target-tracking autoscaler (lab/sim/parts/autoscaling.py) adds and removes instances.

`instance_size` scales each instance's workers with its vCPUs (`workers_per_instance` is for a
medium instance; pricing.sized_workers): scaling up adds capacity until the largest size."""
from __future__ import annotations

from typing import Any

from ..parts.autoscaling import FLEET_METRICS, Fleet, autoscaling_params, check_autoscaling, present_fleet
from ..params import Param
from ..cloud.pricing import per_hour, size_param, sized_workers
from ..kernel.randomness import Deterministic
from ..kernel.request import Request
from ..kernel.station import Station
from ..parts.service_time import MAX_DURATION_MS, build_samplers, service_params
from ..metrics.declared import level
from .base import Component

class ServicePool(Component):
    kind = "service_pool"
    has_instances = True
    title = "Service pool"
    group = "compute"
    icon = "server"
    summary = "Instances of an application (VMs or containers) with workers, a queue, and service times."
    params = (
        Param("instances", "integer", 2, "Number of instances (VMs or containers); with autoscaling, how many it "
              "starts with (kept between min_instances and max_instances).", minimum=1, maximum=1000),
        Param("workers_per_instance", "integer", 4, "Requests one medium instance serves at the same time (threads, "
              "processes); instance_size scales it with the vCPUs.", minimum=1, maximum=10_000),
        Param("queue_capacity", "integer", 1000, "Requests that may wait for a worker; more are refused with 503.",
              minimum=0, maximum=1_000_000),
        *service_params("service_time", 20.0),
        Param("timeout_ms", "number", 0.0, "A request still waiting for a worker after this long fails with 504 (its caller gives up). 0: no timeout.",
              unit="ms", minimum=0.0, maximum=MAX_DURATION_MS),
        Param("blocking_calls", "boolean", False,
              "Workers stay busy while the request waits on the pool's dependencies (thread per request, "
              "like PHP-FPM). Off: a worker is free as soon as its own work is done (event loop, like Node).",
              live=False),
        size_param("instance", scales="Workers per instance"),
        *autoscaling_params("utilization", 0.6),
    )

    metrics = (*FLEET_METRICS, level("queue_now", provided=True))

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        return check_autoscaling(values)

    def build(self) -> None:
        p = self.p
        per_instance = sized_workers(p["workers_per_instance"], p["instance_size"])
        # Its service times, queue limit and timeout are set by `configure`.
        self.station = Station(self, p["instances"] * per_instance, p["queue_capacity"], Deterministic(0.0),
                               self._served, hold=p["blocking_calls"])
        self._blocking = p["blocking_calls"]
        self.fast_receive = self.station.arrive  # the hot path goes straight to the queue
        self.fleet = Fleet(self, self.station, per_instance, p["instances"], self.sim.now)
        self._instances: int | None = None  # the count last placed by `configure`

    def configure(self) -> None:
        p = self.p
        now = self.sim.now
        dist, by_class = build_samplers(self, "service_time", "service")
        self.distribution = dist
        per_instance = sized_workers(p["workers_per_instance"], p["instance_size"])
        st = self.station
        st.set_distribution(dist, by_class)
        st.queue_limit = p["queue_capacity"]
        st.set_timeout(p["timeout_ms"] / 1000.0, now)
        fleet = self.fleet
        fleet.configure(p, now)
        fleet.set_per_instance(per_instance, now)
        if p["instances"] != self._instances:
            # In the design or set by hand: it takes effect at once.
            fleet.place(fleet.clamp(p["instances"]), now)
        self._instances = p["instances"]
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    def wire(self) -> None:
        # When every request goes on to the same single dependency and nothing waits for it,
        # the queue hands served requests straight to that edge.
        routes = list(self._routes.values())
        first = routes[0] if routes else []
        if (not self._blocking and len(first) == 1
                and all(len(r) == 1 and r[0] is first[0] for r in routes)):
            self.station.done = first[0].deliver
        else:
            self.station.done = self._served

    def stations(self) -> list[Station]:
        return [self.station]

    def _served(self, req: Request, t: float) -> None:
        routes = self._routes[req.cls]
        if self._blocking:
            # The frame remembers when the request arrived, for the time it held its worker.
            if routes:
                self.call(req, routes[0], t, (1, req.t_node))
            else:
                self.station.release(req.t_node, t)
                self.sim.reply(req, t)
        elif not routes:
            self.sim.reply(req, t)
        elif len(routes) == 1:
            routes[0].deliver(req, t)  # nothing left to do afterwards: no frame needed
        else:
            self.call(req, routes[0], t, 1)

    def resume(self, req: Request, state: Any, t: float) -> None:
        routes = self._routes[req.cls]
        if self._blocking:
            step, arrived = state
            if step < len(routes):
                self.call(req, routes[step], t, (step + 1, arrived))
                return
            self.station.release(arrived, t)
        elif state < len(routes):
            self.call(req, routes[state], t, state + 1)
            return
        self.sim.reply(req, t)

    def abort(self, req: Request, state: Any, t: float, cause: str) -> bool:
        if self._blocking:
            self.station.release(state[1], t)
        return False

    def harvest(self, t: float) -> dict[str, Any]:
        self.fleet.bank(t)  # before the station's window closes and resets its integrals
        return super().harvest(t)

    def forwarded_counters(self) -> tuple[str, ...]:
        # A blocking pool's requests come back through it: its completions are not what it sent.
        return () if self.p["blocking_calls"] else ("completions",)

    def instances_changed(self, before: int, t: float) -> None:
        fleet = self.fleet  # it knows how many instances serve (autoscaling)
        fleet.size_station(t)
        if max(0, fleet.serving - self.lost_instances) == 0:
            self.station.drop_waiting(t, "fault")

    def harvest_extra(self, t: float) -> dict[str, Any]:
        return self.fleet.harvest(t)  # the fleet's figures (FLEET_METRICS)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        # Instance-seconds, booting instances included: the count changes within a window.
        return per_hour(self.sim.prices[f"vm_{self.p['instance_size']}_hour"], raw["instance_seconds"])

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        return present_fleet(raw, span)
