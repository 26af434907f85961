"""A live, read-only web dashboard of the studies in a storage (``pip install
'hyperscout[dashboard,viz]'``; run ``hyperscout dashboard --storage URL``).

Pages: the studies, a study (live trials table with sort/filter/paging, every plot), a trial
(params, values, learning curve, attributes, error traceback). The JSON API behind them is
described by :data:`hyperscout.dashboard.api.OPENAPI`, served at ``/api/openapi.json``.

Example:
    >>> from hyperscout.dashboard import api
    >>> sorted(api.OPENAPI["paths"])[0]
    '/api/openapi.json'
"""

from hyperscout.dashboard.app import create_app, serve

__all__ = ["create_app", "serve"]
