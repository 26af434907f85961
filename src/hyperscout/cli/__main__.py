"""``python -m hyperscout.cli``: the same as the ``hyperscout`` console script."""

from hyperscout.cli import main

main()
