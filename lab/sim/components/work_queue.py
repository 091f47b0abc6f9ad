"""Queue and worker pool: the producer gets a quick acknowledgement, the message waits in the
backlog, and a pool of workers consumes it. A worker stays busy until its job, including any
calls the job makes to the queue's dependencies, is finished, so a slow database shows up as a
growing backlog rather than as slow responses to the producer.

Workers run on instances of `workers_per_instance`, billed by the instance-second. With
`autoscale` on, a target-tracking autoscaler (lab/sim/parts/autoscaling.py) adds and removes whole
instances, by default to hold the backlog per worker at a target: the queue-depth scaling the
clouds recommend for queue consumers."""
from __future__ import annotations

from typing import Any

from ..parts.autoscaling import FLEET_METRICS, Fleet, autoscaling_params, check_autoscaling, present_fleet
from ..params import Param
from ..cloud.pricing import per_hour, per_million, size_param
from ..kernel.randomness import Deterministic
from ..kernel.request import Request
from ..kernel.station import Station
from ..metrics.declared import MAX, count, level
from .base import Component
from ..parts.service_time import build_samplers, service_params


_WAITING = "waiting"  # the state of a job's root frame


class WorkQueue(Component):
    kind = "work_queue"
    title = "Queue + workers"
    group = "messaging"
    icon = "inbox"
    summary = "A message queue with a pool of workers: producers get a fast acknowledgement, workers drain the backlog."
    params = (
        Param("ack_latency_ms", "number", 2.0, "Time to accept a message and acknowledge it to the producer.",
              unit="ms", minimum=0.0, maximum=60_000.0),
        Param("capacity", "integer", 100_000, "Messages the backlog holds; beyond it producers get 503.",
              minimum=1, maximum=10_000_000),
        Param("workers", "integer", 4, "Workers consuming the backlog; with autoscaling, the instances it starts "
              "with are workers / workers_per_instance, rounded up.", minimum=1, maximum=10_000),
        *service_params("job_time", 50.0),
        Param("workers_per_instance", "integer", 4, "Workers one worker instance runs, for its price: "
              "workers / workers_per_instance instances are billed.", minimum=1, maximum=10_000),
        size_param("worker instance"),
        *autoscaling_params("backlog_per_worker", 10.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        return check_autoscaling(values)

    metrics = (
        count("jobs_done"), count("jobs_failed"), level("backlog"),
        level("backlog_age", zero=0.0, shown="backlog_age_ms", scale=1000.0, digits=3),
        level("backlog_age_max", attr="backlog_age", combine=MAX, zero=0.0, shown="backlog_age_max_ms",
              scale=1000.0, digits=3),
        level("workers"), *FLEET_METRICS,
    )

    def build(self) -> None:
        p = self.p
        per_instance = p["workers_per_instance"]
        # Jobs never wait for a worker past the backlog limit, which is checked on arrival. Its
        # job times are set by `configure`.
        self.station = Station(self, p["workers"], None, Deterministic(0.0), self._job_served, hold=True)
        self.jobs_done = self.jobs_failed = 0
        self.backlog = self.workers = 0  # as of the last window (`measure`)
        self.backlog_age = 0.0
        self._next_job = 0
        self._ack_cb = self._ack
        self.fleet = Fleet(self, self.station, per_instance, -(-p["workers"] // per_instance), self.sim.now)
        self._workers: int | None = None  # the count last placed by `configure`

    def configure(self) -> None:
        p = self.p
        now = self.sim.now
        dist, by_class = build_samplers(self, "job_time", "jobs")
        per_instance = p["workers_per_instance"]
        self.station.set_distribution(dist, by_class)
        fleet = self.fleet
        fleet.configure(p, now)
        workers = p["workers"]
        if workers != self._workers or (per_instance != fleet.per_instance and not fleet.on):
            # Set in the design or by hand: it takes effect at once. Without autoscaling the
            # workers need not fill whole instances (a part-used one is still paid for).
            fleet.per_instance = per_instance
            instances = -(-workers // per_instance)
            if fleet.on:
                fleet.place(fleet.clamp(instances), now)
            else:
                fleet.place(instances, now, workers=workers)
        else:
            fleet.set_per_instance(per_instance, now)  # autoscaled: the same instances, resized
        self._workers = workers
        self._capacity = p["capacity"]
        self._ack_s = p["ack_latency_ms"] / 1000.0
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    def receive(self, req: Request, t: float) -> None:
        station = self.station
        if len(station.queue) >= self._capacity:
            self.arrivals += 1
            self.fail(req, t, "overloaded")
            return
        # The job is a request of its own, owned by this queue: its end is counted here, not in
        # the producer's ledger, which ends with the acknowledgement.
        self._next_job += 1
        job = Request(-self._next_job, req.cls, req.key, req.client, t, self.id)
        # A root frame makes the queue the owner of whatever happens to the job: a failure
        # anywhere, even while it waits, comes back to `abort` here.
        job.stack = [(self, _WAITING, 0.0)]
        station.arrive(job, t)
        if self._ack_s:
            self.schedule(t + self._ack_s, self._ack_cb, req)
        else:
            self.sim.reply(req, t)

    def _ack(self, req: Request, t: float) -> None:
        self.sim.reply(req, t)

    def _job_served(self, job: Request, t: float) -> None:
        routes = self._routes[job.cls]
        if routes:
            self.call(job, routes[0], t, (1, job.t_node))
        else:
            self._job_end(job.t_node, t, ok=True)

    def resume(self, job: Request, state: Any, t: float) -> None:
        step, arrived = state
        routes = self._routes[job.cls]
        if step < len(routes):
            self.call(job, routes[step], t, (step + 1, arrived))
        else:
            self._job_end(arrived, t, ok=True)

    def abort(self, job: Request, state: Any, t: float, cause: str) -> bool:
        if state is _WAITING:
            self.jobs_failed += 1  # lost from the backlog (a crash): it never had a worker
        else:
            self._job_end(state[1], t, ok=False)
        return True  # the job was ours; the producer already has its acknowledgement

    def _job_end(self, arrived: float, t: float, ok: bool) -> None:
        if ok:
            self.jobs_done += 1
        else:
            self.jobs_failed += 1
        self.station.release(arrived, t)

    def stations(self) -> list[Station]:
        return [self.station]

    def measure(self, t: float) -> None:
        st = self.station
        self.backlog = len(st.queue)
        self.backlog_age = t - st.queue[0].t_node if st.queue else 0.0
        self.workers = st.workers

    def harvest_extra(self, t: float) -> dict[str, Any]:
        return self.fleet.harvest(t)  # the fleet's figures (FLEET_METRICS)

    def harvest(self, t: float) -> dict[str, Any]:
        self.fleet.bank(t)  # before the station's window closes and resets its integrals
        return super().harvest(t)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        # Instances by the second (booting ones included); every message is sent, received
        # and deleted: three queue requests.
        return (per_hour(prices[f"vm_{self.p['instance_size']}_hour"], raw["instance_seconds"])
                + per_million(prices["queue_request_million"], 3 * raw["arrivals"]))

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        return {
            "backlog_mean": round((raw.get("area_n", 0.0) - raw.get("area_busy", 0.0)) / span, 6) if span > 0 else 0.0,
            **present_fleet(raw, span),
        }
