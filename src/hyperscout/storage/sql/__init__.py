"""SQL storage: studies in SQLite, PostgreSQL or MariaDB/MySQL, shared by threads, processes and
machines.

Pass a SQLAlchemy URL wherever a storage is accepted (``create_study(storage=URL)``), or build
a :class:`SQLStorage` to tune the engine:

- **SQLite** (embedded, no server; the default for files): ``"sqlite:///hyperscout.db"``
  (relative path), ``"sqlite:////abs/path/hyperscout.db"`` (absolute: four slashes).
  The file runs in WAL mode with ``synchronous=NORMAL``: readers never block the writer, and a
  committed trial survives the process being killed. Processes on one machine may share the
  file; don't put it on a network file system. ``"sqlite:///:memory:"`` is a database in this
  process only (one shared connection), handy for tests.
- **PostgreSQL** (``pip install 'hyperscout[postgres]'``, psycopg 3):
  ``"postgresql+psycopg://user:password@host:5432/dbname"``.
- **MariaDB / MySQL** (``pip install 'hyperscout[mysql]'``, PyMySQL):
  ``"mysql+pymysql://user:password@host:3306/dbname"``.

The tables (prefixed ``hyperscout_``) are created on first use. A password in the URL never
appears in ``repr``, error messages or logs.

Example:
    >>> import hyperscout as hs
    >>> study = hs.create_study(storage="sqlite:///:memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    >>> len(study.trials)
    2
"""

from hyperscout.storage.sql.schema import SCHEMA_VERSION
from hyperscout.storage.sql.storage import SQLStorage

__all__ = ["SCHEMA_VERSION", "SQLStorage"]
