"""Reference topology as a bare ``heapq`` event loop: the plain-Python speed of light.

Model: Poisson arrivals at ``rate_per_s`` -> round-robin load balancer (no delay) over
``servers`` app servers (one worker each, FIFO, unbounded queue, exponential service,
mean 3 ms) -> cache step: with probability 0.8 a hit that takes a fixed 0.2 ms (no
queueing) and completes the request; with probability 0.2 a miss that goes straight
to a database with ``max(1, servers // 2)`` workers sharing one FIFO queue
(exponential service, mean 8 ms) and then completes. The app worker is freed when its
own service ends (tandem queues). Latency = completion time - arrival time.

Modelling choices:

* Time is kept in milliseconds.
* The run stops at ``duration_s``: only requests that *completed* by then are counted;
  requests still in flight are dropped (no drain). The other peers do the same.
* Every timed step of the model is a heap event (arrival, app service end, cache hit
  end, database service end), the same work a general engine does. Shortcuts such as
  the Lindley recursion for the FIFO servers, or computing the hit completion without
  an event, would be faster but would measure a different algorithm, not a lower
  bound on event-loop overhead.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from math import log

APP_MEAN_MS: float = 3.0
DB_MEAN_MS: float = 8.0
HIT_MS: float = 0.2
HIT_PROB: float = 0.8

# Event codes: app-service-end events use the server index (>= 0) as their code, so
# one integer both dispatches the event and names the server, keeping tuples at 3.
_ARRIVAL: int = -1
_HIT_DONE: int = -2
_DB_DONE: int = -3


def run(servers: int, rate_per_s: float, duration_s: float, seed: int) -> dict[str, float]:
    """Simulate ``duration_s`` seconds and return completed requests and their mean latency."""
    rng = random.Random(seed)
    # Inlining mean * -log(1 - U) is Random.expovariate's own transform on the same
    # stream of U (equal up to the last bit of rounding) without a Python-level call
    # per variate.
    rnd = rng.random
    _log = log
    heappush = heapq.heappush
    heappop = heapq.heappop
    heapreplace = heapq.heapreplace

    arrival_mean_ms: float = 1000.0 / rate_per_s
    app_mean: float = APP_MEAN_MS
    db_mean: float = DB_MEAN_MS
    hit_ms: float = HIT_MS
    hit_prob: float = HIT_PROB
    end_ms: float = duration_s * 1000.0

    # Each app queue holds arrival times; its head is the request in service, so a
    # separate busy flag is unnecessary.
    app_queues: list[deque[float]] = [deque() for _ in range(servers)]
    db_queue: deque[float] = deque()
    db_free: int = max(1, servers // 2)
    next_server: int = 0

    completed: int = 0
    latency_sum: float = 0.0

    # (time_ms, code, arrival_time_ms); all fields are numbers, so ties never raise.
    heap: list[tuple[float, int, float]] = [(arrival_mean_ms * -_log(1.0 - rnd()), _ARRIVAL, 0.0)]

    # The arrival stream always has one pending event, so the heap is never empty and
    # the next event can be read in place: handlers then replace it with their first
    # new event (one sift instead of a pop plus a push).
    while True:
        t, code, a = heap[0]
        if t > end_ms:
            break
        if code >= 0:
            # App service end: the cache step, then the app worker takes its next request.
            q = app_queues[code]
            q.popleft()
            if rnd() < hit_prob:
                heapreplace(heap, (t + hit_ms, _HIT_DONE, a))
            elif db_free:
                db_free -= 1
                heapreplace(heap, (t + db_mean * -_log(1.0 - rnd()), _DB_DONE, a))
            else:
                db_queue.append(a)
                heappop(heap)
            if q:
                heappush(heap, (t + app_mean * -_log(1.0 - rnd()), code, q[0]))
        elif code == _ARRIVAL:
            heapreplace(heap, (t + arrival_mean_ms * -_log(1.0 - rnd()), _ARRIVAL, 0.0))
            q = app_queues[next_server]
            q.append(t)
            if len(q) == 1:
                heappush(heap, (t + app_mean * -_log(1.0 - rnd()), next_server, t))
            next_server += 1
            if next_server == servers:
                next_server = 0
        elif code == _HIT_DONE:
            heappop(heap)
            completed += 1
            latency_sum += t - a
        else:
            completed += 1
            latency_sum += t - a
            if db_queue:
                heapreplace(heap, (t + db_mean * -_log(1.0 - rnd()), _DB_DONE, db_queue.popleft()))
            else:
                heappop(heap)
                db_free += 1

    return {
        "requests": completed,
        "mean_latency_ms": latency_sum / completed if completed else float("nan"),
    }
