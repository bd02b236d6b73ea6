"""The ``callcenter`` command. Keep imports lazy: ``--help`` must not load Textual or SQLAlchemy."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from callcenter import __version__
from callcenter import settings as settings_mod

if TYPE_CHECKING:
    from pathlib import Path

EXIT_BAD_SETTING = 2
EXIT_DATABASE = 3
EXIT_DENIED = 4  # not staff, or the role may not do it


def _parser() -> argparse.ArgumentParser:
    log_path = settings_mod.log_file()
    parser = _Parser(
        prog="callcenter",
        description="24-hour roadside-rescue call centre: intake, dispatch, live SLA board.",
        epilog=(
            f"Configuration file: {settings_mod.config_dir() / 'config.toml'}\n"
            f"Default database:   {settings_mod.default_database_url()}\n"
            f"Log file:           {log_path}\n"
            "Environment: CALLCENTER_DATABASE_URL, CALLCENTER_LANG, CALLCENTER_TIMEZONE, "
            "CALLCENTER_POLICY.\n"
            "You are your OS login (SSH keys are the authentication); CALLCENTER_USER "
            "stands in for it in tests and demos, for the account that owns the database only "
            "(the audit log keeps the real login)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"callcenter {__version__}")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (sqlite:///… or postgresql+psycopg://…)"
    )
    parser.add_argument(
        "--lang", choices=settings_mod.LANGUAGES, help="interface language (default zh_CN)"
    )
    parser.add_argument("--timezone", help="the centre's time zone (default Asia/Shanghai)")
    parser.add_argument("--policy", help="SLA policy name (default roadside)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="open the application (the default)")
    sub.add_parser(
        "board",
        help="the supervisor board: dispatch board, crews and counters, read-only, live",
    )
    staff = sub.add_parser("staff", help="staff and roles (administrators): add, list, …")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = staff_sub.add_parser("add", help="add USER (an OS login), or enable it again")
    add.add_argument("username", metavar="USER")
    add.add_argument("--name", default="", help="display name (default: USER)")
    add.add_argument("--role", default="operator", help="operator, supervisor or admin")
    staff_sub.add_parser("list", help="every member of staff, one a line")
    disable = staff_sub.add_parser("disable", help="USER may no longer open the application")
    disable.add_argument("username", metavar="USER")
    role = staff_sub.add_parser("role", help="change the role of USER")
    role.add_argument("username", metavar="USER")
    role.add_argument("role", metavar="ROLE", help="operator, supervisor or admin")
    watch = sub.add_parser(
        "watch",
        help="sweep the SLA clocks headless and print the alerts raised (a server's watcher)",
    )
    watch.add_argument("--once", action="store_true", help="one sweep, print what it raised, exit")
    watch.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="seconds between sweeps (default: the sweep_seconds setting, 15)",
    )
    db = sub.add_parser("db", help="database schema: upgrade, current, downgrade REV")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="upgrade the schema to the newest revision")
    db_sub.add_parser("current", help="print the schema revision")
    down = db_sub.add_parser(
        "downgrade",
        help="downgrade the schema to REV (e.g. base); says what it drops and asks first",
    )
    down.add_argument("revision")
    down.add_argument(
        "--yes",
        action="store_true",
        help="drop what the downgrade drops without asking (SQLite: a backup copy is made first)",
    )

    record = sub.add_parser("record", help="service records: print the owner's copy (PDF)")
    record_sub = record.add_subparsers(dest="record_command", metavar="ACTION", required=True)
    printing = record_sub.add_parser(
        "print", help="write the owner's copy of CASE-NUMBER's service record as a PDF"
    )
    printing.add_argument("number", metavar="CASE-NUMBER")
    printing.add_argument(
        "-o", "--output", metavar="FILE", help="the PDF to write (default: CASE-NUMBER.pdf)"
    )
    printing.add_argument(
        "--lang",
        dest="record_lang",
        choices=settings_mod.LANGUAGES,
        help="the copy's language (default: the interface language)",
    )

    ledger = sub.add_parser("ledger", help="the rescue ledger (救援登记台帐): export, import")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    export = ledger_sub.add_parser(
        "export",
        help="write the ledger to a CSV (UTF-8 with BOM) or XLSX file",
        description=(
            "Write the rescue ledger, newest first, to FILE. --from and --to are days in the "
            "centre's time zone, both included, by the time the call was received."
        ),
    )
    export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", default="")
    export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", default="")
    export.add_argument(
        "--format", dest="export_format", help="csv or xlsx (default: from FILE's extension)"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="the file to write (required)")
    importing = ledger_sub.add_parser(
        "import",
        help="import an old ledger (.xlsx, .xls, .csv) as historical cases (supervisors)",
        description=(
            "Import an old rescue ledger: each good row becomes a closed historical case with "
            "its ledger entry; refused rows go to FILE.refused.csv with the reason. Importing "
            "the same file again changes nothing."
        ),
    )
    importing.add_argument("file", metavar="FILE", help="the ledger: .xlsx, .xls or .csv")
    importing.add_argument(
        "--dry-run",
        action="store_true",
        help="only say how many rows would be imported, updated and refused (and why)",
    )
    importing.add_argument(
        "--mapping",
        metavar="FILE",
        help='TOML file naming unusual headers: [columns] "header" = "field"',
    )
    archive = sub.add_parser("archive", help="the customer archive: entries to complete")
    archive_sub = archive.add_subparsers(dest="archive_command", metavar="ACTION", required=True)
    archive_sub.add_parser(
        "incomplete",
        help="entries still missing details two days after the first contact, one a line",
    )
    complaints = sub.add_parser(
        "complaints", help="list the complaints (客户投诉) and the escalations to the supervisors"
    )
    complaints.add_argument("--open", action="store_true", help="only the open complaints")

    report = sub.add_parser("report", help="reports to management: the monthly report (每月上报)")
    report_sub = report.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    monthly = report_sub.add_parser(
        "monthly",
        help="the monthly report: calls, response, on-time, delays, satisfaction, complaints",
        description=(
            "The monthly report of MONTH (cases by the time they were received, in the "
            "centre's time zone): as text on the terminal, or written to FILE as XLSX or PDF. "
            "Supervisors and administrators."
        ),
    )
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="the month")
    monthly.add_argument(
        "--format",
        dest="report_format",
        choices=("txt", "xlsx", "pdf"),
        help="txt (default: to the terminal), xlsx or pdf (default: from FILE's extension)",
    )
    monthly.add_argument("-o", "--output", metavar="FILE", help="the file to write")
    monthly.add_argument(
        "--lang",
        dest="report_lang",
        choices=settings_mod.LANGUAGES,
        help="the report's language (default: the interface language)",
    )
    handover = sub.add_parser(
        "handover",
        help="the shift-handover digest (交接班): what the next shift must know; who read it",
        description=(
            "Everything the next shift must know since the current shift began (the setting "
            "shift_starts, default 08:00,20:00 in the centre's time zone): open cases with "
            "time left, late ones and why, delay calls not made, calls due by the end of the "
            "next shift, unanswered surveys, new or overdue complaints, escalations not "
            "acknowledged, crews off duty, service records without acceptance; and who has "
            "read the current shift's handover."
        ),
    )
    handover.add_argument(
        "--since",
        metavar="HH:MM",
        help="from this time of day in the centre's zone (the latest not in the future)",
    )
    handover.add_argument(
        "--mark-read",
        action="store_true",
        help="mark the current shift's handover as read by you (who and when are kept)",
    )

    demo = sub.add_parser("demo", help="fill the database with realistic demo data")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--reset", action="store_true", help="delete existing cases, crews, customers first"
    )
    return parser


def _setup_logging() -> None:
    path = settings_mod.log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _fail(message: str, code: int) -> int:
    print(f"callcenter: {message}", file=sys.stderr)
    return code


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line (and the exit code 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = settings_mod.load(
            {
                "database_url": args.database_url,
                "language": args.lang,
                "timezone": args.timezone,
                "policy": args.policy,
            }
        )
    except settings_mod.SettingsError as exc:
        return _fail(str(exc), EXIT_BAD_SETTING)
    _setup_logging()
    from callcenter.errors import (
        CallCenterError,
        DatabaseUnavailable,
        PermissionDenied,
        SchemaOutOfDate,
    )

    try:
        return _dispatch(args, settings)
    except BrokenPipeError:
        # The reader went away (``callcenter handover | head``): not an error. Python would
        # complain again when it flushes stdout at exit; point it at nothing instead.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (DatabaseUnavailable, SchemaOutOfDate) as exc:
        logging.getLogger(__name__).error("%s", exc)
        return _fail(str(exc), EXIT_DATABASE)
    except PermissionDenied as exc:
        logging.getLogger(__name__).warning("%s", exc)
        return _fail(str(exc), EXIT_DENIED)
    except CallCenterError as exc:
        logging.getLogger(__name__).error("%s", exc)
        return _fail(str(exc), EXIT_BAD_SETTING)


def _dispatch(args: Any, settings: settings_mod.Settings) -> int:
    if args.command == "db":
        return _db(args, settings)
    if args.command == "watch":
        return _watch(args, settings)
    if args.command == "staff":
        return _staff(args, settings)
    if args.command in (None, "run", "board"):
        return _run_app(settings, read_only=args.command == "board")
    if args.command == "record":
        return _record(args, settings)
    if args.command == "ledger":
        return (
            _ledger_export(args, settings)
            if args.ledger_command == "export"
            else _ledger(args, settings)
        )
    if args.command == "archive":
        return _archive(args, settings)
    if args.command == "complaints":
        return _complaints(args, settings)
    if args.command == "report":
        return _report(args, settings)
    if args.command == "handover":
        return _handover(args, settings)
    from callcenter import bootstrap

    if args.command == "demo":
        container = bootstrap.build(settings)
        if container.first_start and settings.is_default_database:
            print(f"demo data loaded into {bootstrap.display_url(settings.database_url)}")
            return 0
        summary = bootstrap.load_demo(container, seed=args.seed, reset=args.reset)
        print(f"demo data loaded into {bootstrap.display_url(settings.database_url)}: {summary}")
        return 0
    raise AssertionError(f"unknown command {args.command!r}")


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _run_app(settings: settings_mod.Settings, *, read_only: bool) -> int:
    """The application (``run``) or the supervisor board (``board``).

    On a terminal it paints first: the board's frame is on the screen while SQLAlchemy is
    imported and the database opened, checked and identified in a thread; what goes wrong
    there ends the application and is printed here, as it would have been before the start.
    Elsewhere (a script, a pipe) it connects first, so an error never starts the screen.
    """
    if not _interactive():
        from callcenter import bootstrap

        container = bootstrap.build(settings, read_only=read_only)
        try:
            app = bootstrap.make_app(container, read_only=read_only)
            app.run()
        finally:
            container.close()
        return app.return_code or 0

    import gc

    # Start-up builds about half a million objects that live as long as the session (modules,
    # classes, styles, mappers; a collection after the imports finds some 500 unreachable).
    # Collecting while they are built cost 0.08 s of the 0.76 s of CPU before the board showed
    # its cases. The application turns collection back on once connected, with what exists
    # by then left out of it (CallCenterApp.on_connected).
    gc.disable()
    from callcenter.i18n import set_language
    from screens.app import CallCenterApp

    set_language(settings.language)  # before any screen is built (bootstrap.build sets it too)
    built: list[Any] = []

    def connect() -> Any:
        from callcenter import bootstrap

        container = bootstrap.build(settings, read_only=read_only)
        built.append(container)
        services = container.services
        # The board's first reading, done here while the screen has nothing else to do; the
        # change feed opened before it, so that no change falls between the two.
        feed = container.change_feed()
        try:
            board = (services.open_cases(), services.crews())
        except BaseException:
            feed.close()
            raise
        return bootstrap.session(container, feed=feed, board=board)

    app = CallCenterApp(settings, connect=connect, read_only=read_only)
    try:
        app.run()
    finally:
        for container in built:
            container.close()
    if app.startup_error is not None:
        raise app.startup_error
    return app.return_code or 0


def _db(args: Any, settings: settings_mod.Settings) -> int:
    from callcenter import bootstrap

    url = settings.database_url
    engine = bootstrap.make_engine(url)
    try:
        bootstrap.check_connection(engine)
        if args.db_command == "upgrade":
            bootstrap.upgrade(url)
            notice = bootstrap.claim_first_admin(settings)
            if notice:
                print(notice)
        elif args.db_command == "downgrade":
            done = _downgrade(args, url, engine)
            if done:
                return done
        current = bootstrap.current_revision(engine)
        head = bootstrap.head_revision(url)
        state = "up to date" if current == head else f"head is {head}"
        print(f"{current or 'empty'} ({state})")
    finally:
        engine.dispose()
    return 0


def _downgrade(args: Any, url: str, engine: Any) -> int:
    """``db downgrade REV [--yes]``: say what would be dropped; ask (or want ``--yes``) when it
    holds data; copy a SQLite file first, print the ``pg_dump`` command on PostgreSQL.
    Returns an exit code to stop with, 0 to go on and print the revision."""
    from callcenter import bootstrap as schema
    from callcenter.i18n import _, ngettext

    try:
        plan = schema.downgrade_plan(url, engine, args.revision)
    except schema.UnknownRevision as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    if plan.rows:
        held = ", ".join(
            ngettext("{name} ({count} row)", "{name} ({count} rows)", count).format(
                name=name, count=count
            )
            for name, count in plan.drops
            if count
        )
        print(
            _("Going down to {target} undoes {undone} and drops data: {held}.").format(
                target=plan.target, undone=", ".join(plan.undone), held=held
            )
        )
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            print(
                _("Save the database first: {command}").format(command=schema.pg_dump_command(url))
            )
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    _("callcenter: this downgrade drops data: run it again with --yes."),
                    file=sys.stderr,
                )
                return 2
            answer = input(_("Type yes to drop it: "))
            if answer.strip().lower() not in ("yes", "y", "是"):
                print(_("Nothing changed."))
                return 1
        if sqlite:
            copy = schema.backup_sqlite(url)
            print(_("A copy of the database is in {path}.").format(path=copy))
    try:
        schema.downgrade(url, plan.target, drop_data=True)
    except RuntimeError as exc:  # a revision that refuses to drop rows (e.g. 0006)
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    return 0


def _complaints(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter complaints [--open]``: the escalations not acknowledged, then one line per
    complaint (number, taken in, status, category, customer, crew, next deadline)."""
    from callcenter import bootstrap
    from callcenter.complaints.model import describe
    from callcenter.i18n import _

    container = bootstrap.build(settings)
    try:
        services = container.services
        escalations = services.escalations(unacknowledged_only=True)
        complaints = services.complaints(open_only=args.open)
        crews = {c.id: c.code for c in services.crews()}
    finally:
        container.close()

    def local(instant: Any) -> str:
        return str(instant.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))

    for item in escalations:
        print(
            _("ESCALATION {at}  {kind}: {what}").format(
                at=local(item.raised_at), kind=item.kind.label, what=describe(item)
            )
        )
    for complaint in complaints:
        nxt = complaint.next_deadline() if complaint.is_open else None
        due = f"{local(nxt[1])} {nxt[0].label}" if nxt is not None else "—"
        crew = crews.get(complaint.crew_id, "") if complaint.crew_id is not None else ""
        print(
            "  ".join(
                [
                    complaint.number,
                    local(complaint.received_at),
                    complaint.status.label,
                    complaint.category.label,
                    complaint.customer_name,
                    crew or "—",
                    due,
                ]
            )
        )
    if not complaints:
        print(_("No complaint."))
    return 0


def _report(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter report monthly --month YYYY-MM [--format F] [-o FILE] [--lang L]``: the
    text to stdout (or FILE); XLSX and PDF to FILE (default ``monthly-YYYY-MM.<format>``)."""
    from pathlib import Path

    from callcenter.errors import ValidationError
    from callcenter.i18n import _, set_language
    from callcenter.reports.monthly import parse_month

    lang = args.report_lang or settings.language
    set_language(lang)  # the command's own messages in the report's language too
    try:
        month = parse_month(args.month)
    except ValidationError as exc:
        return _fail(f"--month: {exc.message}", EXIT_BAD_SETTING)
    fmt = args.report_format
    if fmt is None:
        suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
        fmt = suffix if suffix in ("xlsx", "pdf", "txt") else "txt"
    target = Path(args.output) if args.output else None
    if target is None and fmt != "txt":
        target = Path(f"monthly-{month}.{fmt}")
    if target is not None and target.is_dir():
        return _fail(_("{file} is a directory").format(file=target), EXIT_BAD_SETTING)
    if target is not None and not target.parent.is_dir():
        return _fail(
            _("cannot write {file}: no such directory").format(file=target), EXIT_BAD_SETTING
        )
    from callcenter import bootstrap
    from callcenter.reports.export import render

    container = bootstrap.build(settings)
    try:
        report = container.services.monthly_report(month)
    finally:
        container.close()
    data = render(report, fmt, lang=lang)
    if target is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    failed = _write_whole(target, data)
    if failed is not None:
        return failed
    print(_("Monthly report {month} written to {file}").format(month=month, file=target))
    return 0


def _handover(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter handover [--since HH:MM] [--mark-read]``: the digest, a heading line, who
    read it, then each section's title with its count and its lines; ``--mark-read`` then
    keeps that you read it (once: a second time says when you did)."""
    from callcenter import bootstrap
    from callcenter.errors import ValidationError
    from callcenter.handover import text_lines, when_text
    from callcenter.i18n import _, set_language

    set_language(settings.language)
    container = bootstrap.build(settings)
    try:
        services = container.services
        try:
            since = services.handover_since(args.since) if args.since is not None else None
        except ValidationError as exc:
            return _fail(f"--since: {exc.message}", EXIT_BAD_SETTING)
        # Marked first: the list of who read it then names you, and a reader who pipes the
        # text into ``head`` has still marked it.
        result = services.mark_handover_read() if args.mark_read else None
        digest = services.handover(since=since)
        for line in text_lines(digest, settings.tz):
            print(line)
        if result is not None:
            when = when_text(result.read.read_at, digest.now, settings.tz)
            who = services.display_name(result.read.username)
            print()
            if result.already:
                print(
                    _("You ({who}) had already read this handover at {when}.").format(
                        who=who, when=when
                    )
                )
            else:
                print(_("Marked read by {who} at {when}.").format(who=who, when=when))
    finally:
        container.close()
    return 0


def _record(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter record print CASE-NUMBER [-o FILE] [--lang en]``: one line, the file."""
    from pathlib import Path

    from callcenter import bootstrap
    from callcenter.i18n import _
    from callcenter.records.pdf import owner_copy_pdf

    container = bootstrap.build(settings)
    try:
        services = container.services
        case = services.case_by_number(args.number)
        assert case.id is not None
        copy = services.owner_copy(case.id)
        data = owner_copy_pdf(copy, lang=args.record_lang or settings.language)
    finally:
        container.close()
    target = Path(args.output or f"{case.number}.pdf")
    failed = _write_whole(target, data)
    if failed is not None:
        return failed
    print(
        _("Owner's copy of case {number} written to {file}").format(number=case.number, file=target)
    )
    return 0


def _ledger(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter ledger import FILE [--dry-run] [--mapping FILE]``: the counts in one line,
    then each refused row's number and reason, one a line; progress on a terminal."""
    from callcenter import bootstrap
    from callcenter.i18n import _
    from callcenter.services.ledger_import import LedgerImport

    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False

    def progress(done: int, total: int) -> None:
        if tty and total:
            end = "\n" if done >= total else ""
            print(f"\r{_('Importing')} {done}/{total}", end=end, file=sys.stderr, flush=True)

    container = bootstrap.build(settings)
    try:
        report = LedgerImport(container.services).run(
            args.file, mapping=args.mapping, dry_run=args.dry_run, progress=progress
        )
    finally:
        container.close()
    print(report.summary())
    if report.unmapped:
        print(
            _("Header row {row}; columns left out: {columns}").format(
                row=report.header_row, columns=_(", ").join(report.unmapped)
            )
        )
    for item in report.refused:
        print(_("row {row}: {reason}").format(row=item.row, reason=item.reason))
    if report.refused_file is not None:
        print(_("Refused rows written to {file}").format(file=report.refused_file))
    return 0


def _ledger_export(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter ledger export [--from D] [--to D] [--format F] -o FILE``: the file, one
    line; a progress bar on stderr when it is a terminal; Ctrl+C leaves no half file."""
    from pathlib import Path

    from callcenter.errors import ValidationError, ValidationErrors
    from callcenter.i18n import _, set_language
    from callcenter.records.ledger_export import export_format
    from callcenter.records.ledger_query import parse_ledger_filter

    set_language(settings.language)  # the messages below, before the database is opened
    if not args.output:
        return _fail(_("-o FILE is required: the file to write (.xlsx or .csv)"), EXIT_BAD_SETTING)
    target = Path(args.output)
    try:
        fmt = export_format(target, args.export_format)
        flt = parse_ledger_filter(
            {"date_from": args.date_from, "date_to": args.date_to}, settings.tz
        )
    except ValidationErrors as exc:
        first = exc.errors[0]
        option = {"date_from": "--from", "date_to": "--to"}.get(first.field, first.field)
        return _fail(f"{option}: {first.message}", EXIT_BAD_SETTING)
    except ValidationError as exc:
        return _fail(f"--format: {exc.message}", EXIT_BAD_SETTING)
    if target.is_dir():
        return _fail(_("{file} is a directory").format(file=target), EXIT_BAD_SETTING)
    if not target.parent.is_dir():
        return _fail(
            _("cannot write {file}: no such directory").format(file=target), EXIT_BAD_SETTING
        )
    from callcenter import bootstrap

    container = bootstrap.build(settings)
    bar = _ProgressBar(sys.stderr) if _stderr_tty() else None
    try:
        services = container.services
        total = services.ledger_count(flt)
        if bar is not None:
            bar.total = total
        try:
            count = services.ledger_export(
                flt, target, fmt, progress=bar.show if bar is not None else None
            )
        except KeyboardInterrupt:
            if bar is not None:
                bar.end()
            return _fail(_("export cancelled: no file written"), 130)
        except OSError as exc:
            if bar is not None:
                bar.end()
            return _fail(
                _("cannot write {file}: {error}").format(file=target, error=exc.strerror or exc),
                EXIT_BAD_SETTING,
            )
    finally:
        container.close()
    if bar is not None:
        bar.end()
    print(_("{count} ledger rows written to {file}").format(count=count, file=target))
    return 0


def _stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _ProgressBar:
    """``[#####-----] 1234/5000`` redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.total = 0

    def show(self, done: int) -> None:
        total = max(self.total, done, 1)
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total}")
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _archive(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter archive incomplete``: one line per entry to complete (seed 000: the
    archive is made within two days), the oldest first; the count on stderr."""
    from callcenter import bootstrap, validation
    from callcenter.archive.model import describe_missing
    from callcenter.i18n import _, ngettext

    container = bootstrap.build(settings)
    try:
        rows = container.services.incomplete_customers(limit=10_000)
        tz = settings.tz
    finally:
        container.close()
    for row in rows:
        c = row.customer
        first = c.created_at.astimezone(tz).strftime("%Y-%m-%d") if c.created_at else "?"
        plates = " ".join(v.plate for v in c.vehicles) or "-"
        print(
            "\t".join(
                (
                    first,
                    c.name,
                    validation.format_phone(c.phone, c.phone_ext),
                    plates,
                    _("missing: {what}").format(what=describe_missing(row.missing)),
                )
            )
        )
    count = ngettext(
        "{n} archive entry to complete.", "{n} archive entries to complete.", len(rows)
    )
    print(count.format(n=len(rows)), file=sys.stderr)
    return 0


def _staff(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter staff add|list|disable|role``: one line per result, as administrator."""
    from callcenter import bootstrap
    from callcenter.i18n import _
    from callcenter.services.staff import StaffDirectory, describe, parse_role

    container = bootstrap.build(settings)
    try:
        for notice in container.notices:
            print(notice)
        directory = StaffDirectory(container.services)
        if args.staff_command == "list":
            for member in directory.list():
                print(describe(member))
        elif args.staff_command == "add":
            member = directory.add(args.username, args.name, parse_role(args.role))
            print(
                _("Added {user} ({name}) as {role}.").format(
                    user=member.username, name=member.display_name, role=member.role.label
                )
            )
        elif args.staff_command == "disable":
            member = directory.disable(args.username)
            print(
                _("Disabled {user}: they can no longer open the application.").format(
                    user=member.username
                )
            )
        elif args.staff_command == "role":
            member = directory.set_role(args.username, parse_role(args.role))
            print(_("{user} is now {role}.").format(user=member.username, role=member.role.label))
    finally:
        container.close()
    return 0


def _watch(args: Any, settings: settings_mod.Settings) -> int:
    """``callcenter watch [--once] [--interval SECONDS]``: one line per alert raised."""
    import asyncio

    from callcenter import bootstrap, scheduler, watch
    from callcenter.i18n import _

    interval = settings.sweep_seconds if args.interval is None else args.interval
    if not (0 < interval <= 86400):  # NaN and infinity too
        return _fail(_("--interval must be a positive number of seconds"), EXIT_BAD_SETTING)
    container = bootstrap.build(settings)
    log = logging.getLogger("callcenter.watch")

    def show(result: watch.SweepResult) -> None:
        for raised in result.raised:
            print(watch.describe(raised, settings.tz), flush=True)
        for alert in result.complaint_alerts:  # the complaints' clocks
            due = alert.deadline.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
            print(f"{alert.number}  {alert.kind.label}  {due}", flush=True)
        for problem in result.problems:
            print(f"callcenter watch: {problem}", file=sys.stderr, flush=True)

    def failed(exc: BaseException) -> None:
        print(f"callcenter watch: {exc}", file=sys.stderr, flush=True)

    try:
        if args.once:
            result = watch.sweeper_for(container)()
            show(result)
            log.info(
                "one sweep: %d cases judged, %d alerts raised", result.judged, len(result.raised)
            )
            return 0
        sweeper = watch.sweeper_for(container)
        print(
            _("Watching the SLA clocks every {seconds} s; Ctrl+C stops.").format(
                seconds=f"{interval:g}"
            ),
            file=sys.stderr,
            flush=True,
        )
        asyncio.run(
            scheduler.run_until_stopped(
                sweeper, interval_seconds=interval, on_result=show, on_error=failed
            )
        )
    finally:
        container.close()
    return 0


def _write_whole(target: Path, data: bytes) -> int | None:
    """Write ``data`` to ``target`` beside it first and rename (never half a file under the
    name asked for); None when written, else the exit code after a one-line message."""
    import os

    from callcenter.i18n import _

    partial = target.with_name(f".{target.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        return _fail(
            _("cannot write {file}: {error}").format(file=target, error=exc.strerror or exc),
            EXIT_BAD_SETTING,
        )
    return None
