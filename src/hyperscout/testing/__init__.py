"""Conformance suites that any implementation of a hyperscout contract can run.

- :mod:`hyperscout.testing.storage_suite`: checks for :class:`~hyperscout.storage.Storage`
  implementations (numbering, transitions, cursors, concurrency, JSON round trips).
"""
