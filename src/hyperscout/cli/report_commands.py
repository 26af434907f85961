"""``hyperscout report`` (offline HTML) and ``hyperscout dashboard`` (live web UI)."""

from __future__ import annotations

from pathlib import Path

import click

from hyperscout.cli._render import mask_url
from hyperscout.cli.commands import _load, cli, open_storage, storage_option
from hyperscout.exceptions import OptionalDependencyError


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--out", "-o", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="HTML file to write.")
@click.option("--importance", type=click.Choice(["auto", "fanova", "ped_anova"]), default="auto",
              show_default=True,
              help="Importance method; auto = fANOVA up to 2000 complete trials, else PED-ANOVA.")
def report(study_name: str, storage: str, out: Path, importance: str) -> None:
    """Write a self-contained HTML report of STUDY (opens offline; plotly.js embedded)."""
    from hyperscout.visualization._data import snapshot

    with open_storage(storage, must_exist=True) as store:
        snap = snapshot(_load(store, study_name, storage))
    try:
        from hyperscout.visualization.report import write_report

        path = write_report(snap, out, importance=importance)
    except OptionalDependencyError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write --out {str(out)!r}: {exc.strerror}") from exc
    click.echo(f"wrote {path} ({len(snap.trials)} trials of study {study_name!r})")


@click.command()
@storage_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; 0.0.0.0 exposes the dashboard to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
def dashboard(storage: str, host: str, port: int) -> None:
    """Serve a read-only, live-updating web dashboard of the studies in --storage."""
    try:
        from hyperscout.dashboard import serve
    except OptionalDependencyError as exc:
        raise click.ClickException(str(exc)) from exc
    with open_storage(storage, must_exist=True) as store:
        click.echo(f"hyperscout dashboard for {mask_url(storage)} on http://{host}:{port}/ "
                   "(Ctrl+C stops it)")
        try:
            serve(store, host=host, port=port)
        except OptionalDependencyError as exc:
            raise click.ClickException(str(exc)) from exc


COMMANDS = [report, dashboard]

for _command in COMMANDS:
    cli.add_command(_command)
