"""The ``privault`` command."""

from __future__ import annotations

import sys

import typer

from privault import __version__
from privault.bootstrap import Container
from privault.cli import (
    api_keys,
    audit,
    consent,
    cpni,
    datastores,
    db,
    decide,
    demo,
    disclosures,
    incident_exceptions,
    keys,
    manifest,
    notice,
    records,
    request_records,  # noqa: F401 - registers log, metrics and declare on requests
    requests,
    retention,
    serve,
    staff,
    subjects,
    suppression,
    visits,
    worker,
)
from privault.cli.context import err
from privault.config import load_settings
from privault.errors import ManifestInvalid, PrivaultError

app = typer.Typer(
    name="privault",
    help="privault: make a privacy policy true, and prove it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"privault {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Settings come from PRIVAULT_* environment variables (see docs/settings.md)."""
    settings = load_settings()
    ctx.obj = Container(settings)
    ctx.call_on_close(ctx.obj.close)


manifest.register(app)
app.add_typer(manifest.app, name="manifest")
app.add_typer(db.app, name="db")
app.add_typer(notice.app, name="notice")
app.add_typer(api_keys.app, name="api-keys")
app.add_typer(subjects.app, name="subjects")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(consent.app, name="consent")
app.add_typer(suppression.app, name="suppression")
app.add_typer(requests.app, name="requests")  # with request_records' log, metrics, declare
app.add_typer(datastores.app, name="datastores")
app.add_typer(datastores.webhooks_app, name="webhooks")
app.command("outbox")(datastores.outbox)
app.command("worker")(worker.worker)
app.add_typer(worker.jobs_app, name="jobs")
app.add_typer(visits.app, name="visits")
app.add_typer(disclosures.app, name="disclosures")
app.add_typer(disclosures.offers_app, name="offers")
app.add_typer(records.ropa_app, name="ropa")
app.add_typer(records.dpia_app, name="dpia")
app.add_typer(records.incidents_app, name="incidents")
_ = incident_exceptions  # its commands join `privault incidents`
app.add_typer(retention.app, name="retention")
app.add_typer(staff.app, name="staff")
app.add_typer(cpni.app, name="cpni")
subjects.app.command("contract-end")(retention.contract_end)
app.command("decide")(decide.decide)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def report(exc: PrivaultError) -> int:
    """Print an error as one line (plus manifest issues) and return its exit code."""
    err.print(f"error [{exc.code}]: {exc.message}", markup=False)
    if isinstance(exc, ManifestInvalid):
        for issue in exc.issues:
            err.print(str(issue), markup=False)
    return exc.exit_code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (errors become one line on stderr)."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="privault")
    except PrivaultError as exc:
        return report(exc)
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors; bare `privault` shows help
        exc.show()  # type: ignore[attr-defined]
        return 0 if type(exc).__name__ == "NoArgsIsHelpError" else int(getattr(exc, "exit_code", 2))
    except Exception as exc:  # noqa: BLE001 - last resort: a clean line, never a value-bearing traceback
        err.print(f"error [privault.error]: unexpected {type(exc).__name__}", markup=False)
        return 1
    return result if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the console script."""
    sys.exit(run())
