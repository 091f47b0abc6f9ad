"""Peer implementations of the reference topology, used as speed baselines for the engine."""
