"""Transaction coordinator: one business transaction that must change several services (its
outgoing edges, the participants) all or nothing, by one of two protocols.

Two-phase commit: the coordinator asks every participant to prepare, in parallel, and waits for
every vote (the slowest participant sets the pace). If all vote yes it forces the decision to its
log (`log_write_ms`) and runs the commit round, in parallel again, and answers the client when
every participant has committed: two rounds of the slowest participant. A participant that fails
its prepare call votes no: the transaction aborts at once (409 `aborted`) and the participants
that voted yes get a rollback. Once the decision is commit it stands: a commit call that fails
is counted (`commit_errors`; the participant learns the outcome when it recovers) and does not
undo the transaction.

Saga: the coordinator runs the participants' local transactions one after the other (latency is
the sum). When step i fails, the request fails at once with `aborted`, and the coordinator runs
the compensations of steps i-1 .. 0 in reverse order in the background, each `compensation_ms`
after the previous one; a compensation that fails is retried, up to 5 times.

A crashed coordinator is the weak point of 2PC: the answers that reach it while it is down wait
until it recovers (it reads its log and carries on), and the participants that voted yes hold
their locks all that time. Those transactions count as blocked (`blocked_transactions`, and how
long they stayed blocked). New transactions are refused while it is down.
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..cloud.pricing import per_hour, size_param
from ..kernel.request import Request
from ..metrics.declared import count, level, peak, per
from .base import Component, Edge

MODES = ("two_phase_commit", "saga")
COMPENSATION_ATTEMPTS = 5

# What a transaction is doing.
_PREPARE, _COMMIT, _ABORTED, _STEPS, _COMPENSATING = range(5)
_ROLLBACK = "rollback"  # the state of a rollback call: nothing waits for it


class _Txn:
    """A transaction in progress (and, for a saga that failed, its compensations)."""

    __slots__ = ("req", "arrived", "edges", "phase", "pending", "yes", "step", "attempt", "blocked_at")

    def __init__(self, req: Request, arrived: float, edges: list[Edge], phase: int) -> None:
        self.req = req
        self.arrived = arrived
        self.edges = edges
        self.phase = phase
        self.pending = len(edges)  # 2PC: calls of the current round still out
        self.yes: list[Edge] = []  # 2PC: participants that voted yes (and must hear the decision)
        self.step = 0  # saga: the step (or compensation) under way
        self.attempt = 1  # saga: attempts of the current compensation
        self.blocked_at = -1.0  # when answers for it started waiting for the crashed coordinator


class TransactionCoordinator(Component):
    kind = "transaction_coordinator"
    title = "Transaction coordinator"
    group = "messaging"
    icon = "handshake"
    summary = ("A distributed transaction over its participants (outgoing edges): two-phase commit "
               "(all vote, then all commit) or a saga (steps in turn, compensations on failure).")
    min_callees = 1
    params = (
        Param("mode", "choice", "two_phase_commit",
              "Two-phase commit: prepare everywhere in parallel, then commit everywhere; any no vote aborts. "
              "Saga: each participant's local transaction in turn; a failure runs the compensations of "
              "the steps already done.", choices=MODES),
        Param("log_write_ms", "number", 1.0, "Time to force the commit decision to the coordinator's log, "
              "between the two rounds.", unit="ms", minimum=0.0, maximum=60_000.0,
              when={"mode": ("two_phase_commit",)}),
        Param("compensation_ms", "number", 5.0, "Time the coordinator takes to record and issue each "
              "compensation, before calling the participant (and before each retry).", unit="ms",
              minimum=0.0, maximum=3_600_000.0, when={"mode": ("saga",)}),
        size_param("coordinator instance", "small"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        # Two-phase commit calls every participant twice (prepare, commit); a saga once.
        return ("each", 1.0 if values["mode"] == "saga" else 2.0)

    metrics = (
        count("committed"), count("aborted"), count("commit_errors"), count("rollbacks"),
        count("rollbacks_failed"), count("compensations"), count("compensations_failed"),
        count("compensation_retries"), count("blocked_transactions", attr="blocked"), level("blocked_now"),
        per("blocked_ms_mean", "blocked_time", "blocked_transactions", scale=1000.0, digits=3),
        count("blocked_time", zero=0.0, shown=None),
        peak("blocked_time_max", zero=0.0, shown="blocked_ms_max", scale=1000.0, digits=3),
    )

    def build(self) -> None:
        # Answers that reached the coordinator while it was down: (handler, request, state).
        self._parked: list[tuple[Any, Request, Any]] = []
        self._wake_pending = False
        self.committed = self.aborted = self.commit_errors = 0
        self.rollbacks = self.rollbacks_failed = 0
        self.compensations = self.compensations_failed = self.compensation_retries = 0
        self.blocked = self.blocked_now = 0
        self.blocked_time = self.blocked_time_max = 0.0
        self._decide_cb = self._decide
        self._compensate_cb = self._compensate
        self._wake_cb = self._wake

    def configure(self) -> None:
        p = self.p
        self.saga = p["mode"] == "saga"
        self._log_s = p["log_write_ms"] / 1000.0
        self._comp_s = p["compensation_ms"] / 1000.0
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    # -- a transaction starts -------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        self.mark(t)
        self.n += 1
        edges = self._routes[req.cls]
        if not edges:
            self._commit_done(req, t, t)
        elif self.saga:
            # The request itself visits the participants in turn: its trace shows every step.
            self.call(req, edges[0], t, _Txn(req, t, edges, _STEPS))
        else:
            self._round(_Txn(req, t, edges, _PREPARE), t)

    def _round(self, txn: _Txn, t: float) -> None:
        """Call every participant in parallel. The calls are the coordinator's own; the client's
        request waits here for the outcome, and its trace shows every call it waited on."""
        txn.pending = len(txn.edges)
        req = txn.req
        spawn = self.spawn
        for i, edge in enumerate(txn.edges):
            spawn(req, edge, t, (txn, i))

    def resume(self, req: Request, state: Any, t: float) -> None:
        if state is _ROLLBACK:
            self.rollbacks += 1
        elif self.down:
            self._park(self._resume_parked, req, state, t)
        elif type(state) is tuple:
            self._vote(state[0], state[1], True, t)
        elif state.phase == _STEPS:
            self._step_done(state, t)
        else:
            self._compensated(state, t)

    def abort(self, req: Request, state: Any, t: float, cause: str) -> bool:
        if state is _ROLLBACK:
            self.rollbacks_failed += 1
        elif self.down:
            self._park(self._abort_parked, req, state, t)
        elif type(state) is tuple:
            self._vote(state[0], state[1], False, t)
        elif state.phase == _STEPS:
            self._step_failed(state, t)
        else:
            self._compensation_failed(state, t)
        return True  # a saga step's failure becomes "aborted"; every other call was ours

    def _resume_parked(self, req: Request, state: Any, t: float) -> None:
        self.resume(req, state, t)

    def _abort_parked(self, req: Request, state: Any, t: float) -> None:
        self.abort(req, state, t, "")

    # -- two-phase commit -----------------------------------------------------------------------

    def _vote(self, txn: _Txn, i: int, ok: bool, t: float) -> None:
        txn.pending -= 1
        phase = txn.phase
        if phase == _PREPARE:
            if ok:
                txn.yes.append(txn.edges[i])
                if txn.pending == 0:
                    if self._log_s:
                        self.schedule(t + self._log_s, self._decide_cb, txn)
                    else:
                        self._decide(txn, t)
            else:
                # A no vote (a failed prepare) decides at once; those that voted yes roll back,
                # and so will those whose yes comes later.
                txn.phase = _ABORTED
                self.aborted += 1
                self._fail(txn.req, txn.arrived, t)
                for voter in txn.yes:
                    self._rollback(txn.req, voter, t)
        elif phase == _ABORTED:
            if ok:
                self._rollback(txn.req, txn.edges[i], t)
        else:
            if not ok:
                self.commit_errors += 1
            if txn.pending == 0:
                self.committed += 1
                self._commit_done(txn.req, txn.arrived, t)

    def _decide(self, txn: _Txn, t: float) -> None:
        """Every participant voted yes and the decision is in the log: the commit round."""
        if self.down:
            self._park(self._decide_parked, txn.req, txn, t)
            return
        txn.phase = _COMMIT
        self._round(txn, t)

    def _decide_parked(self, req: Request, txn: _Txn, t: float) -> None:
        self._decide(txn, t)

    def _rollback(self, req: Request, edge: Edge, t: float) -> None:
        trace = req.trace
        req.trace = None  # the request has ended: the rollback is not part of its trace
        self.spawn(req, edge, t, _ROLLBACK)
        req.trace = trace

    # -- saga -----------------------------------------------------------------------------------

    def _step_done(self, txn: _Txn, t: float) -> None:
        txn.step += 1
        if txn.step < len(txn.edges):
            self.call(txn.req, txn.edges[txn.step], t, txn)
        else:
            self.committed += 1
            self._commit_done(txn.req, txn.arrived, t)

    def _step_failed(self, txn: _Txn, t: float) -> None:
        self.aborted += 1
        self._fail(txn.req, txn.arrived, t)
        if txn.step > 0:
            txn.phase = _COMPENSATING
            txn.step -= 1
            self._schedule_compensation(txn, t)

    def _schedule_compensation(self, txn: _Txn, t: float) -> None:
        if self._comp_s:
            self.schedule(t + self._comp_s, self._compensate_cb, txn)
        else:
            self._compensate(txn, t)

    def _compensate(self, txn: _Txn, t: float) -> None:
        if self.down:
            self._park(self._compensate_parked, txn.req, txn, t)
            return
        req = txn.req
        trace = req.trace
        req.trace = None  # the request has failed: its compensations are the coordinator's own
        self.spawn(req, txn.edges[txn.step], t, txn)
        req.trace = trace

    def _compensate_parked(self, req: Request, txn: _Txn, t: float) -> None:
        self._compensate(txn, t)

    def _compensated(self, txn: _Txn, t: float) -> None:
        self.compensations += 1
        self._next_compensation(txn, t)

    def _compensation_failed(self, txn: _Txn, t: float) -> None:
        if txn.attempt < COMPENSATION_ATTEMPTS:
            txn.attempt += 1
            self.compensation_retries += 1
            self._schedule_compensation(txn, t)
            return
        # Given up: that step stays done and needs a person to repair it; the others go on.
        self.compensations_failed += 1
        self._next_compensation(txn, t)

    def _next_compensation(self, txn: _Txn, t: float) -> None:
        if txn.step > 0:
            txn.step -= 1
            txn.attempt = 1
            self._schedule_compensation(txn, t)

    # -- the end of a transaction ---------------------------------------------------------------

    def _commit_done(self, req: Request, arrived: float, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - arrived)
        self.sim.reply(req, t)

    def _fail(self, req: Request, arrived: float, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.dropped_time += t - arrived  # its time here counts for Little's law
        self.fail(req, t, "aborted")

    # -- crash and recovery ---------------------------------------------------------------------

    def _park(self, handler: Any, req: Request, state: Any, t: float) -> None:
        txn = state[0] if type(state) is tuple else state
        if txn.blocked_at < 0:
            txn.blocked_at = t
            self.blocked += 1
            self.blocked_now += 1
        self._parked.append((handler, req, state))

    def wire(self) -> None:
        # Rewiring is how a node learns it has recovered: it reads its log and carries on, at the
        # time of the event being handled, so the recovery never happens before the fault ends.
        if not self.down and self._parked and not self._wake_pending:
            self._wake_pending = True
            self.schedule(self.sim.current_time(), self._wake_cb, None)

    def _wake(self, _: Any, t: float) -> None:
        self._wake_pending = False
        parked, self._parked = self._parked, []
        for handler, req, state in parked:
            txn = state[0] if type(state) is tuple else state
            if txn.blocked_at >= 0:
                waited = t - txn.blocked_at
                txn.blocked_at = -1.0
                self.blocked_now -= 1
                self.blocked_time += waited
                if waited > self.blocked_time_max:
                    self.blocked_time_max = waited
            handler(req, state, t)  # parks again if the coordinator went down in between

    # -- metrics --------------------------------------------------------------------------------

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return per_hour(self.sim.prices[f"vm_{self.p['instance_size']}_hour"], span)
