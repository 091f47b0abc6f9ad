"""Signals of the runs app. `run_queued` goes out when a run's row is committed; the embedded
pool (connected in apps.py) rings its workers, so the services that queue runs need not know
which executor runs them."""
from django.dispatch import Signal

run_queued = Signal()  # sender=Run, run=<the Run>
