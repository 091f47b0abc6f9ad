"""Archlab's simulation engine: a request-level discrete-event simulator of distributed
architectures. A plain Python package: it imports no web framework and runs from a script.

    from lab.sim import load, simulate
    results = simulate(load(open("topology.json").read()), seed=7)
"""
from .components.registry import REGISTRY
from .simulation import Simulation, simulate
from .control import apply_command, check_command
from .document.format import FORMAT, LIMITS, VERSION
from .document.loading import InvalidTopology, check, load

__all__ = ["REGISTRY", "apply_command", "check_command", "FORMAT", "LIMITS", "VERSION", "InvalidTopology", "Simulation", "check", "load", "simulate"]
