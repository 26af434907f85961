"""The ``hyperscout`` command line: run an objective file, inspect, export and delete studies.

Example (a shell session)::

    $ hyperscout run examples/quadratic.py:objective --n-trials 20 --seed 0
    $ hyperscout studies
    $ hyperscout trials quadratic-objective --state complete --sort value --limit 5
    $ hyperscout best quadratic-objective
    $ hyperscout export quadratic-objective --format csv --output trials.csv
    $ hyperscout delete quadratic-objective --yes

The default storage is ``sqlite:///hyperscout.db`` in the working directory; ``--storage URL`` or
the ``HYPERSCOUT_STORAGE`` environment variable picks another one.
"""

from hyperscout.cli import worker_commands as _worker_commands  # noqa: F401, I001 - registers
from hyperscout.cli.commands import cli, main

__all__ = ["cli", "main"]
