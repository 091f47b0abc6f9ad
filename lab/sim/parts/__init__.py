"""Parts that several component kinds are built from (autoscaling, cache policies, failover,
resilience policies, remote services); kinds import parts, never each other."""
