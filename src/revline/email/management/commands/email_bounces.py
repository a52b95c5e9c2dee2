"""Read a bounce mailbox over IMAP and process its bounce and complaint reports.

    revline email_bounces --host imap.example.com --user bounces@example.com \
        --password-env BOUNCE_PASSWORD [--folder INBOX] [--ssl | --starttls | --no-ssl] \
        [--port 993] [--ca-file /etc/revline/imap-ca.pem]

Run it every few minutes (cron or a systemd timer).
"""

import argparse
import imaplib
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revline.email.delivery_services import bounce_mailbox_process


class Command(BaseCommand):
    help = "Process unseen bounce (DSN) and complaint (ARF) messages of an IMAP mailbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", required=True, help="IMAP server host name")
        parser.add_argument("--port", type=int, default=None, help="Default 993 (SSL) or 143")
        parser.add_argument("--user", required=True, help="Mailbox user name")
        parser.add_argument(
            "--password-env",
            required=True,
            help="Name of the environment variable holding the password (never on the command "
            "line, where other users of the machine could read it)",
        )
        parser.add_argument("--folder", default="INBOX", help="Mailbox folder (default INBOX)")
        parser.add_argument(
            "--ssl",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Use IMAP over TLS (default; --no-ssl for a local test server only)",
        )
        parser.add_argument(
            "--starttls",
            action="store_true",
            help="Connect in plain text (default port 143) and switch to TLS with STARTTLS "
            "before logging in; stops if the server does not offer it",
        )
        parser.add_argument(
            "--ca-file",
            default=None,
            help="PEM file of the CA certificate(s) that signed the server's certificate (a "
            "private CA); default: the system's CAs",
        )
        parser.add_argument("--limit", type=int, default=500, help="Messages per run (500)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"], "")
        if not password:
            raise CommandError(f"The environment variable {options['password_env']} is not set.")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        ca_file = options["ca_file"]
        if ca_file and not (options["ssl"] or options["starttls"]):
            raise CommandError("--ca-file needs TLS: drop --no-ssl, or add --starttls.")
        if ca_file and not os.path.isfile(ca_file):
            raise CommandError(f"--ca-file: no such file: {ca_file}")
        try:
            result = bounce_mailbox_process(
                host=options["host"],
                port=options["port"],
                user=options["user"],
                password=password,
                folder=options["folder"],
                use_ssl=options["ssl"],
                starttls=options["starttls"],
                ca_file=ca_file,
                limit=options["limit"],
            )
        except (imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(f"IMAP: {exc}") from exc
        self.stdout.write(
            f"{result.messages} message(s) read, {result.reports} report(s), "
            f"{result.events} new bounce/complaint/delivery event(s)."
        )
