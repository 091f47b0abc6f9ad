"""The kernel kinds run on: requests, random streams, queues."""
