"""Signals of the runs app. `run_queued` goes out when a run's row is committed; the embedded
pool (connected in apps.py) rings its workers, so the services that queue runs need not know
which executor runs them.

`run_ended` goes out in the worker when a study's run (`Run.evidence` set) has had its final
write (done, stopped, limited or failed), and `housekeeping` from every worker every few seconds:
lab.studies listens to both (its AppConfig connects them), so this app knows nothing of studies
and imports nothing of them. Neither is sent for a run without `evidence`."""
from django.dispatch import Signal

run_queued = Signal()  # sender=Run, run=<the Run>
run_ended = Signal()  # sender=Run, run=<the Run> (a study's run only)
housekeeping = Signal()  # sender=None, worker=<its name>
