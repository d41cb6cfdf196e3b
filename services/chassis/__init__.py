"""Shared plumbing for every MotCua service: config, logs, metrics, database, outbox/inbox, events, errors.

It holds no business rules. Importing it has no side effects: engines, servers and connections are created by
the nameko dependency providers when a service container starts.
"""
