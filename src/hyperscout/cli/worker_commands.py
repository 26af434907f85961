"""Commands for scale-out: ``worker`` (join a study from any machine), ``budget`` (set the budget
its workers share), ``storage upgrade`` / ``storage version`` (schema migrations).

Example (a shell session)::

    $ hyperscout budget mystudy --n-trials 1600 --storage postgresql+psycopg://u@db/hs
    $ hyperscout worker train.py:objective --study mystudy --storage postgresql+psycopg://u@db/hs
    $ hyperscout storage upgrade postgresql+psycopg://u@db/hs
"""

from __future__ import annotations

import sys

import click

import hyperscout
from hyperscout.cli._loader import load_objective
from hyperscout.cli._render import mask_url
from hyperscout.cli._samplers import make_sampler
from hyperscout.cli.commands import _LEVELS, _run_logging, cli, open_storage, storage_option
from hyperscout.exceptions import StorageError, StudyNotFoundError


@cli.command()
@click.argument("target", metavar="FILE.py:FUNCTION")
@click.option("--study", "study_name", required=True, metavar="NAME", help="The study to join.")
@storage_option
@click.option("--sampler", "sampler_name", metavar="NAME",
              help="Sampler of this worker (see `hyperscout samplers`); default: automatic.")
@click.option("--sampler-kwargs", metavar="JSON", help="Sampler arguments as a JSON object.")
@click.option("--seed", type=int, help="Seed of this worker's sampler.")
@click.option("--max-trials", type=click.IntRange(min=1), metavar="N",
              help="Leave after running N trials, even if the study's budget is not spent.")
@click.option("--verbosity", type=click.Choice(_LEVELS, case_sensitive=False), default="info",
              show_default=True)
def worker(target: str, study_name: str, storage: str, sampler_name: str | None,
           sampler_kwargs: str | None, seed: int | None, max_trials: int | None,
           verbosity: str) -> None:
    """Join STUDY and run trials of FUNCTION until the study's shared budget is spent.

    The budget (trials, deadline) is stored in the study by `hyperscout budget`,
    `study.set_budget()` or `study.optimize()`; every worker on every machine takes trials
    from it, and all stop together when it is spent or the study is stopped. A trial whose
    objective raises is stored as failed and the worker goes on.

    \b
    Example:
      hyperscout worker train.py:objective --study s1 --storage postgresql+psycopg://u@db/hs
    """
    from hyperscout.execution.local import study_heartbeat
    from hyperscout.execution.worker import run_trials

    func, _path, _name = load_objective(target)
    sampler = make_sampler(sampler_name, seed, sampler_kwargs)[0] if sampler_name else None
    masked = mask_url(storage)
    with open_storage(storage, must_exist=True) as store:
        try:
            study = hyperscout.load_study(study_name, store, sampler=sampler,
                                          seed=None if sampler else seed)
        except StudyNotFoundError:
            raise click.ClickException(
                f"no study named {study_name!r} in {masked}; create it first (create_study or "
                "`hyperscout run`) and set its budget with `hyperscout budget`") from None
        b = store.get_budget(study._study_id)
        click.echo(f"worker joined study {study_name!r} in {masked}: budget "
                   f"{'unlimited' if b.n_trials is None else f'{b.used}/{b.n_trials}'} trials"
                   f"{'' if b.deadline is None else f', until {b.deadline:%Y-%m-%d %H:%M:%S} UTC'}",
                   err=True)
        try:
            with _run_logging(verbosity), study_heartbeat(study):
                n = run_trials(study, func, catch=(Exception,), max_trials=max_trials)
        except KeyboardInterrupt:
            click.echo("interrupted: finished trials are stored", err=True)
            sys.exit(130)
    click.echo(f"worker ran {n} trials of study {study_name!r}", err=True)


@cli.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--n-trials", type=click.IntRange(min=0), metavar="N",
              help="Trials that may still start, across all workers (default: no limit).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="No trial starts after this many seconds from now.")
@click.option("--stop", "stop_now", is_flag=True, help="Stop all workers after their trials.")
def budget(study_name: str, storage: str, n_trials: int | None, timeout: float | None,
           stop_now: bool) -> None:
    """Set the budget STUDY's workers share (or stop them all with --stop)."""
    with open_storage(storage, must_exist=True) as store:
        try:
            study = hyperscout.load_study(study_name, store)
        except StudyNotFoundError:
            raise click.ClickException(
                f"no study named {study_name!r} in {mask_url(storage)}") from None
        if stop_now:
            study.stop()
        else:
            study.set_budget(n_trials, timeout)
        b = store.get_budget(study._study_id)
    click.echo(f"study {study_name!r}: {'stopped' if b.stopped else 'running'}; "
               f"{b.used} trials started, limit "
               f"{'none' if b.n_trials is None else b.n_trials}"
               f"{'' if b.deadline is None else f', deadline {b.deadline:%Y-%m-%d %H:%M:%S} UTC'}")


@cli.group()
def storage() -> None:
    """Manage a storage database: schema version and upgrades."""


@storage.command()
@click.argument("url", metavar="URL")
def upgrade(url: str) -> None:
    """Move the database at URL to this hyperscout's schema version (back it up first)."""
    from hyperscout.storage.sql.migrations import upgrade as run_upgrade

    masked = mask_url(url)
    try:
        before, after = run_upgrade(url)
    except (StorageError, ValueError, ImportError) as exc:
        msg = str(exc)
        raise click.ClickException(msg if masked in msg else f"{masked}: {msg}") from exc
    if before is None:
        click.echo(f"{masked}: created hyperscout tables at schema version {after}")
    elif before == after:
        click.echo(f"{masked}: already at schema version {after}; nothing to do")
    else:
        click.echo(f"{masked}: upgraded schema version {before} -> {after}")


@storage.command()
@click.argument("url", metavar="URL")
def version(url: str) -> None:
    """Print the schema version of the database at URL and the one this hyperscout uses."""
    import sqlalchemy as sa

    from hyperscout.storage.sql._engine import connection_error, create_backend, parse_url
    from hyperscout.storage.sql.migrations import read_version
    from hyperscout.storage.sql.schema import SCHEMA_VERSION

    parsed = parse_url(url)
    try:
        backend = create_backend(parsed, None)
        try:
            with backend.engine.connect() as conn:
                found = read_version(conn)
        finally:
            backend.engine.dispose()
    except sa.exc.DBAPIError as exc:
        raise click.ClickException(str(connection_error(parsed, exc))) from exc
    except (StorageError, ValueError, ImportError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{mask_url(url)}: schema version "
               f"{'none (no hyperscout tables)' if found is None else found}; "
               f"this hyperscout uses {SCHEMA_VERSION}")
