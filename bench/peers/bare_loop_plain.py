"""Reference topology as a textbook heapq event loop.

The same model as ``bare_loop`` (see its docstring), written the way the event loop is usually
taught: ``heappop`` the next event, ``heappush`` the ones it causes, ``Random.expovariate`` for
the variates, a sequence number to break ties. The engine issue's "SimPy is about 6x slower than
a bare heapq loop" was measured against a loop of this kind; ``bare_loop`` is the same model
tuned further (in-place ``heapreplace``, inlined variates, 3-field events), about 1.5x faster.
The benchmark reports the engine against both.
"""

from __future__ import annotations

import heapq
import random
from collections import deque

ARRIVAL, APP_DONE, HIT_DONE, DB_DONE = 0, 1, 2, 3


def run(servers: int, rate_per_s: float, duration_s: float, seed: int) -> dict[str, float]:
    """Simulate ``duration_s`` seconds; count the requests completed by then and their mean latency."""
    rng = random.Random(seed)
    expo = rng.expovariate
    heap: list[tuple[float, int, int, tuple[int, float]]] = []
    seq = 0
    app_rate, db_rate = 1.0 / 0.003, 1.0 / 0.008
    app_busy = [False] * servers
    app_queue: list[deque[float]] = [deque() for _ in range(servers)]
    db_free = max(1, servers // 2)
    db_queue: deque[float] = deque()
    next_server = 0
    completed = 0
    latency_sum = 0.0

    heapq.heappush(heap, (expo(rate_per_s), seq, ARRIVAL, (0, 0.0)))
    while heap:
        t, _, kind, (server, born) = heapq.heappop(heap)
        if t > duration_s:
            break
        if kind == ARRIVAL:
            seq += 1
            heapq.heappush(heap, (t + expo(rate_per_s), seq, ARRIVAL, (0, 0.0)))
            s = next_server
            next_server = (next_server + 1) % servers
            if app_busy[s]:
                app_queue[s].append(t)
            else:
                app_busy[s] = True
                seq += 1
                heapq.heappush(heap, (t + expo(app_rate), seq, APP_DONE, (s, t)))
        elif kind == APP_DONE:
            if app_queue[server]:
                seq += 1
                heapq.heappush(heap, (t + expo(app_rate), seq, APP_DONE, (server, app_queue[server].popleft())))
            else:
                app_busy[server] = False
            if rng.random() < 0.8:
                seq += 1
                heapq.heappush(heap, (t + 0.0002, seq, HIT_DONE, (0, born)))
            elif db_free:
                db_free -= 1
                seq += 1
                heapq.heappush(heap, (t + expo(db_rate), seq, DB_DONE, (0, born)))
            else:
                db_queue.append(born)
        else:
            completed += 1
            latency_sum += t - born
            if kind == DB_DONE:
                if db_queue:
                    seq += 1
                    heapq.heappush(heap, (t + expo(db_rate), seq, DB_DONE, (0, db_queue.popleft())))
                else:
                    db_free += 1
    return {"requests": completed, "mean_latency_ms": latency_sum / completed * 1000.0 if completed else 0.0}
