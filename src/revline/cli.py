"""The `revline` command.

revline run       migrate, load the demo workspace into an empty database, then serve
                  (email goes to the outbox page unless REVLINE_EMAIL_BACKEND is set)
revline serve     the web server (gunicorn) and a background worker
revline worker    the background worker only
revline scheduler the periodic jobs only (scheduled emails, sequences, reminders, SLA checks)
revline demo      build the demo workspace (refuses a non-empty database without --force)
revline leads-train / leads-rescore / leads-check-sla   lead scoring and hand-off tools
revline <cmd>     any Django management command (migrate, createsuperuser, shell, …)
"""

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revline.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revline.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["revline", *argv])


def _migrate() -> None:
    _django_setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def serve(host: str, port: int, workers: int, with_worker: bool) -> int:
    children: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "revline.settings"}
    if with_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "revline.cli", "worker"], env=env))
        children.append(
            subprocess.Popen([sys.executable, "-m", "revline.cli", "scheduler"], env=env)
        )
    web = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "revline.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ],
        env=env,
    )
    children.append(web)

    def stop(signum: int, frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = web.wait()
    stop(0, None)
    for child in children:
        child.wait(timeout=15)
    return code


def print_welcome(base_url: str) -> None:
    _django_setup()
    from revline.core.demo import DEMO_LOGINS
    from revline.core.models import User

    print(f"\n  Revline is running at {base_url}\n")
    known = set(
        User.objects.filter(username__in=[u for u, _, _ in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    if known:
        print("  Demo logins (username / password):")
        for username, password, role in DEMO_LOGINS:
            if username in known:
                print(f"    {username:<10} {password:<16} {role}")
    print("\n  Press Ctrl+C to stop.\n", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command in {"run", "serve"}:
        parser = argparse.ArgumentParser(prog=f"revline {command}")
        parser.add_argument("--host", default=os.environ.get("REVLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("REVLINE_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("REVLINE_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        args = parser.parse_args(argv[1:])
        if command == "run":
            # The quick start needs no mail server: email is kept in the outbox page
            # (/email/outbox/) unless a backend is configured.
            os.environ.setdefault("REVLINE_EMAIL_BACKEND", "outbox")
            _migrate()
            from revline.core.demo import database_is_empty, demo_build

            if database_is_empty():
                print("The database is empty: loading the demo workspace.", flush=True)
                demo_build(progress=True)
            print_welcome(f"http://{args.host}:{args.port}")
        return serve(args.host, args.port, args.workers, not args.no_worker)
    if command == "worker":
        _manage(["db_worker", *argv[1:]])
        return 0
    if command == "scheduler":
        _manage(["scheduler", *argv[1:]])
        return 0
    if command == "demo":
        _manage(["demo", *argv[1:]])
        return 0
    _manage(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
