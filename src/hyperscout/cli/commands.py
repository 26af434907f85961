"""The ``hyperscout`` commands: run, studies, trials, best, export, delete, samplers."""

from __future__ import annotations

import io
import logging
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import hyperscout
from hyperscout._logging import get_logger
from hyperscout.cli._loader import default_study_name, format_user_traceback, load_objective
from hyperscout.cli._render import (
    fmt_datetime,
    fmt_duration,
    fmt_param,
    fmt_params,
    fmt_values,
    mask_url,
    table,
    write_csv,
    write_json,
)
from hyperscout.cli._samplers import available_samplers, make_sampler
from hyperscout.exceptions import StorageError, StudyNotFoundError, TrialPruned
from hyperscout.storage import Storage, get_storage
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

DEFAULT_STORAGE = "sqlite:///hyperscout.db"
_STATES = [s.value for s in TrialState]
_LEVELS = ["debug", "info", "warning", "error"]

storage_option = click.option(
    "--storage",
    default=DEFAULT_STORAGE,
    show_default=True,
    envvar="HYPERSCOUT_STORAGE",
    show_envvar=True,
    metavar="URL",
    help="Database URL, e.g. sqlite:///hs.db or postgresql+psycopg://user@host/db.",
)


# -- storage access -------------------------------------------------------------------------------
def _check_sqlite_file(url: str) -> None:
    """Read-only commands must not create an empty SQLite file by accident."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # get_storage reports the bad URL
    db = parsed.database
    if (
        parsed.get_backend_name() == "sqlite"
        and db
        and db != ":memory:"
        and not db.startswith("file:")
        and not Path(db).exists()
    ):
        raise click.ClickException(
            f"no database file {db!r} ({mask_url(url)}); `hyperscout run` creates one, "
            "or pass --storage URL of an existing database"
        )


@contextmanager
def open_storage(url: str, *, must_exist: bool) -> Iterator[Storage]:
    """Open ``url``, turn storage errors into one-line CLI errors, close it at the end."""
    from sqlalchemy.exc import SQLAlchemyError

    masked = mask_url(url)
    if must_exist:
        _check_sqlite_file(url)
    try:
        store = get_storage(url)
    except (StorageError, SQLAlchemyError, ValueError, ImportError) as exc:
        msg = str(exc)  # SQLStorage's own messages name the (masked) URL already
        raise click.ClickException(
            msg if masked in msg else f"cannot open storage {masked}: {msg}"
        ) from exc
    try:
        yield store
    except StudyNotFoundError as exc:  # a study lookup outside study_id_of()
        raise click.ClickException(f"{exc} (storage {masked})") from exc
    except (StorageError, SQLAlchemyError) as exc:
        first = str(exc).strip().splitlines()
        raise click.ClickException(
            f"storage error on {masked}: {type(exc).__name__}: {first[0] if first else ''}"
        ) from exc
    finally:
        store.close()


def _not_found(name: str, url: str) -> click.ClickException:
    masked = mask_url(url)
    return click.ClickException(
        f"no study named {name!r} in {masked}; hyperscout studies --storage {masked} lists them"
    )


def study_id_of(store: Storage, name: str, url: str) -> int:
    try:
        return store.get_study_id(name)
    except StudyNotFoundError:
        raise _not_found(name, url) from None


def _load(store: Storage, name: str, url: str) -> hyperscout.Study:
    try:
        return hyperscout.load_study(name, store)
    except StudyNotFoundError:
        raise _not_found(name, url) from None


# -- logging during `run` -------------------------------------------------------------------------
class _TqdmHandler(logging.Handler):
    """Log lines through ``tqdm.write`` so that they do not tear the progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except (OSError, ValueError):
            self.handleError(record)


@contextmanager
def _run_logging(level: str) -> Iterator[None]:
    logger = get_logger()
    saved_handlers, saved_level = logger.handlers, logger.level
    handler = _TqdmHandler()
    formatter = next((h.formatter for h in saved_handlers if h.formatter), None)
    handler.setFormatter(formatter or logging.Formatter("[hyperscout] %(message)s"))
    logger.handlers = [handler]
    hyperscout.set_verbosity(level)
    try:
        yield
    finally:
        logger.handlers = saved_handlers
        logger.setLevel(saved_level)


# -- the group ------------------------------------------------------------------------------------
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(name="hyperscout", context_settings=_CONTEXT)
@click.version_option(hyperscout.__version__, "-V", "--version", prog_name="hyperscout",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """hyperscout: hyperparameter optimization from the command line.

    Run an objective with `hyperscout run FILE.py:FUNCTION`, then inspect the study with
    `studies`, `trials`, `best`, `export`. Trials are stored in sqlite:///hyperscout.db
    unless --storage (or HYPERSCOUT_STORAGE) names another database.
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``hyperscout`` console script.

    Example:
        >>> main(["--version"])  # doctest: +SKIP
        hyperscout 0.1.0
    """
    cli.main(args=list(argv) if argv is not None else None, prog_name="hyperscout")


def _check_n_jobs(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value == -1 or value >= 1:
        return value
    raise click.BadParameter(f"{value} is not valid; use a number of threads >= 1, or -1 for one "
                             "per CPU")


# -- run ------------------------------------------------------------------------------------------
def _warm_start_sources(values: tuple[str, ...]) -> list[tuple[str, str | None]]:
    from hyperscout.transfer.load import parse_source

    try:
        return [parse_source(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--warm-start'") from None


@cli.command()
@click.argument("target", metavar="FILE.py:FUNCTION")
@click.option("--n-trials", type=click.IntRange(min=0), help="Trials to run in this call.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop starting trials after this many seconds.")
@click.option("--study", "study_name", metavar="NAME",
              help="Study name (default: <file stem>-<function>); resumed if it exists.")
@storage_option
@click.option("--sampler", "sampler_name", metavar="NAME",
              help="random, grid, qmc, tpe, gp, auto, ... (`hyperscout samplers` lists them); "
                   "default: the study's default sampler.")
@click.option("--sampler-kwargs", metavar="JSON",
              help="Constructor arguments of the sampler as a JSON object, e.g. "
                   "'{\"search_space\": {\"x\": [0, 1]}}'.")
@click.option("--direction", "directions", multiple=True,
              type=click.Choice(["minimize", "maximize"], case_sensitive=False),
              help="Per objective; repeat for multi-objective (default: minimize, or the stored "
                   "directions of an existing study).")
@click.option("--seed", type=int, help="Seed of the sampler (reproducible sequential runs).")
@click.option("--n-jobs", type=int, default=1, show_default=True, callback=_check_n_jobs,
              help="Worker threads; -1: one per CPU.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--verbosity", type=click.Choice(_LEVELS, case_sensitive=False), default="info",
              show_default=True, help="info: one log line per finished trial.")
@click.option("--warm-start", "warm_start", multiple=True, metavar="NAME[@URL]",
              help="Learn from an earlier study (repeatable): NAME in --storage, or NAME@URL in "
                   "another storage.")
def run(
    target: str,
    n_trials: int | None,
    timeout: float | None,
    study_name: str | None,
    storage: str,
    sampler_name: str | None,
    sampler_kwargs: str | None,
    directions: tuple[str, ...],
    seed: int | None,
    n_jobs: int,
    no_progress: bool,
    verbosity: str,
    warm_start: tuple[str, ...] = (),
) -> None:
    """Optimize FUNCTION of FILE.py and print the best result.

    The function takes a trial and returns the value to minimize (or maximize, or one value per
    --direction). The study is created, or resumed if STUDY exists in the storage.

    \b
    Example:
      hyperscout run examples/quadratic.py:objective --n-trials 50 --seed 0
    """
    func, path, func_name = load_objective(target)
    if sampler_kwargs is not None and sampler_name is None:
        raise click.BadParameter("give --sampler NAME with --sampler-kwargs",
                                 param_hint="'--sampler-kwargs'")
    sampler, seeded = (make_sampler(sampler_name, seed, sampler_kwargs)
                       if sampler_name is not None else (None, False))
    name = study_name or default_study_name(path, func_name)
    dir_kwargs: dict[str, Any] = {}
    if len(directions) == 1:
        dir_kwargs["direction"] = directions[0].lower()
    elif directions:
        dir_kwargs["directions"] = [d.lower() for d in directions]
    masked = mask_url(storage)

    user_errors: list[tuple[int, BaseException]] = []

    def objective(trial: hyperscout.Trial) -> Any:
        try:
            return func(trial)
        except TrialPruned:
            raise
        except Exception as exc:
            user_errors.append((trial.number, exc))
            raise

    sources = _warm_start_sources(warm_start)
    with open_storage(storage, must_exist=False) as store:
        try:
            study = hyperscout.create_study(
                name=name, storage=store, sampler=sampler, seed=None if seeded else seed,
                load_if_exists=True,
                warm_start=[(n, u if u is not None else store) for n, u in sources] or None,
                **dir_kwargs,
            )
        except (ValueError, hyperscout.StudyNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc
        n_before = len(study.trials)
        what = "resuming" if n_before else "created"
        click.echo(
            f"{what} study {name!r} ({', '.join(study.directions)}) in {masked}: "
            f"{n_before} trials so far; sampler {type(study.sampler).__name__}",
            err=True,
        )
        if n_trials is None and timeout is None:
            click.echo("no --n-trials or --timeout: running until Ctrl-C", err=True)
        try:
            with _run_logging(verbosity):
                study.optimize(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                               show_progress_bar=not no_progress)
        except KeyboardInterrupt:
            click.echo("interrupted: finished trials are stored; run the same command to "
                       "resume", err=True)
            _print_summary(study, masked, n_before)
            sys.exit(130)
        except Exception as exc:
            mine = [n for n, e in user_errors if e is exc]
            if not mine:
                raise
            raise click.ClickException(
                f"trial {mine[0]} of study {name!r} failed: {func_name}() in {path.name} "
                f"raised {type(exc).__name__} (the trial is stored as failed; finished trials "
                f"are kept):\n{format_user_traceback(exc, path)}"
            ) from exc
        _print_summary(study, masked, n_before)
        if not study.get_trials([TrialState.COMPLETE]):
            raise click.ClickException(
                f"no trial of study {name!r} is complete; "
                f"`hyperscout trials {name} --state fail` shows why"
            )


def _print_summary(study: hyperscout.Study, masked: str, n_before: int) -> None:
    trials = study.trials
    counts = Counter(t.state for t in trials)
    by_state = ", ".join(f"{counts[s]} {s.value}" for s in TrialState if counts[s])
    click.echo(f"study {study.name!r} in {masked}: {len(trials)} trials "
               f"({by_state or 'none'}); {len(trials) - n_before} in this run")
    _echo_best(study)


def _echo_best(study: hyperscout.Study) -> bool:
    """Print the best trial (or the Pareto front); False if no trial is complete."""
    front = study.best_trials
    if not front:
        return False
    if len(study.directions) == 1:
        best = study.best_trial
        click.echo(f"best value: {fmt_values(best.values)} (trial {best.number})")
        click.echo("best params:")
        for k, v in best.params.items():
            click.echo(f"  {k}: {fmt_param(v)}")
        return True
    click.echo(f"Pareto front ({', '.join(study.directions)}): {len(front)} trials")
    click.echo(table(["number", "values", "params"],
                     [[str(t.number), fmt_values(t.values), fmt_params(t.params)]
                      for t in sorted(front, key=lambda t: t.number)]))
    return True


# -- studies --------------------------------------------------------------------------------------
@cli.command()
@storage_option
def studies(storage: str) -> None:
    """List the studies: name, directions, trials, best value, start time."""
    with open_storage(storage, must_exist=True) as store:
        summaries = store.list_studies()
    if not summaries:
        click.echo(f"no studies in {mask_url(storage)}")
        return
    rows = [[s.name, ",".join(s.directions), str(s.n_trials), fmt_values(s.best_values),
             fmt_datetime(s.datetime_start)] for s in summaries]
    click.echo(table(["name", "directions", "trials", "best", "started"], rows))


# -- trials ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--state", "states", multiple=True, type=click.Choice(_STATES, case_sensitive=False),
              help="Only trials in this state (repeatable).")
@click.option("--sort", type=click.Choice(["number", "value"]), default="number",
              show_default=True, help="value: complete trials best first (one objective).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="At most N trials: the N most recent, or with --sort value the N best.")
def trials(study_name: str, storage: str, states: tuple[str, ...], sort: str,
           limit: int | None) -> None:
    """List the trials of STUDY: number, state, value(s), duration, params."""
    with open_storage(storage, must_exist=True) as store:
        study_id = study_id_of(store, study_name, storage)
        directions = store.get_study_directions(study_id)
        st = [TrialState.parse(s) for s in states] if states else None
        records = store.get_trials(study_id, st)
    if sort == "value":
        if len(directions) != 1:
            raise click.BadParameter(
                f"study {study_name!r} has {len(directions)} objectives; --sort value needs one "
                "(use `hyperscout best` for its Pareto front)", param_hint="'--sort'")
        records = _best_first(records, directions[0])
        if limit is not None:
            records = records[:limit]
    elif limit is not None:
        records = records[-limit:]
    if not records:
        which = f" in state {', '.join(states)}" if states else ""
        click.echo(f"study {study_name!r} has no trials{which}")
        return
    head = "value" if len(directions) == 1 else "values"
    rows = [[str(t.number), t.state.value, fmt_values(t.values), fmt_duration(t.duration),
             fmt_params(t.params)] for t in records]
    click.echo(table(["number", "state", head, "duration", "params"], rows))


def _best_first(records: list[FrozenTrial], direction: str) -> list[FrozenTrial]:
    sign = 1.0 if direction == "minimize" else -1.0
    done = [t for t in records if t.state is TrialState.COMPLETE and t.values is not None]
    rest = [t for t in records if not (t.state is TrialState.COMPLETE and t.values is not None)]
    done.sort(key=lambda t: (sign * t.values[0], t.number))  # type: ignore[index]
    return done + rest


# -- best -----------------------------------------------------------------------------------------
@cli.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list for several objectives).")
def best(study_name: str, storage: str, as_json: bool) -> None:
    """Print the best value and params of STUDY (the Pareto front for several objectives)."""
    import json

    from hyperscout.cli._render import trial_to_dict

    with open_storage(storage, must_exist=True) as store:
        study = _load(store, study_name, storage)
        front = study.best_trials
        if not front:
            n = len(study.trials)
            raise click.ClickException(
                f"study {study_name!r} has no complete trial yet ({n} trials); "
                f"`hyperscout trials {study_name}` lists them"
            )
        if as_json:
            keep = ("number", "values", "params", "user_attrs")
            picked = [{k: trial_to_dict(t)[k] for k in keep}
                      for t in sorted(front, key=lambda t: t.number)]
            single = len(study.directions) == 1
            if single:
                picked[0]["value"] = picked[0]["values"][0]
            click.echo(json.dumps(picked[0] if single else picked, indent=2, default=str))
            return
        _echo_best(study)


# -- export ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"], case_sensitive=False),
              required=True, help="csv: one flat row per trial; json: a list of trial objects.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout.")
@click.option("--state", "states", multiple=True, type=click.Choice(_STATES, case_sensitive=False),
              help="Only trials in this state (repeatable).")
def export(study_name: str, storage: str, fmt: str, output: Path | None,
           states: tuple[str, ...]) -> None:
    """Export the trials of STUDY as CSV or JSON."""
    with open_storage(storage, must_exist=True) as store:
        study_id = study_id_of(store, study_name, storage)
        n_obj = len(store.get_study_directions(study_id))
        st = [TrialState.parse(s) for s in states] if states else None
        records = store.get_trials(study_id, st)
    buf = io.StringIO()
    if fmt.lower() == "csv":
        write_csv(records, n_obj, buf)
    else:
        write_json(records, buf)
    if output is None:
        click.echo(buf.getvalue(), nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    click.echo(f"wrote {len(records)} trials of {study_name!r} to {output}", err=True)


# -- delete ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(study_name: str, storage: str, yes: bool) -> None:
    """Delete STUDY and all its trials."""
    masked = mask_url(storage)
    with open_storage(storage, must_exist=True) as store:
        study_id = study_id_of(store, study_name, storage)
        n = store.n_trials(study_id)
        if not yes:
            click.confirm(f"delete study {study_name!r} and its {n} trials from {masked}?",
                          abort=True)
        store.delete_study(study_id)
    click.echo(f"deleted study {study_name!r} ({n} trials) from {masked}")


# -- samplers -------------------------------------------------------------------------------------
@cli.command()
def samplers() -> None:
    """List the sampler names that --sampler accepts."""
    rows = []
    for short, cls in sorted(available_samplers().items()):
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append([short, cls.__name__, doc[0] if doc else ""])
    click.echo(table(["name", "class", "description"], rows))


import hyperscout.cli.report_commands  # noqa: E402,F401,I001 - adds `report` and `dashboard`
