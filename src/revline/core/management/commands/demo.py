from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from revline.core.demo import DEMO_LOGINS, DemoRefused, demo_build


class Command(BaseCommand):
    help = (
        "Build the demo workspace: users in every role, campaigns, 2,000 contacts, 20,000 "
        "touchpoints and 300 deals. Refuses a database that holds data unless --force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="first delete ALL Revline data (users, contacts, deals, campaigns, …)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="size relative to the full demo, from 0.01 to 1 (default 1: 2,000 contacts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0.01 <= options["scale"] <= 1:
            raise CommandError("--scale must be between 0.01 and 1.")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not up to date: run `revline migrate` first.")
        try:
            demo_build(
                progress=options["verbosity"] > 0,
                wipe=options["force"],
                scale=options["scale"],
                stream=self.stdout,
            )
        except DemoRefused as exc:
            raise CommandError(
                "The database already holds data, so the demo was not loaded and nothing changed. "
                "Run `revline demo --force` to delete ALL Revline data and load the demo instead."
            ) from exc
        if options["verbosity"] > 0:
            self.stdout.write("Log in with (username / password):")
            for username, password, role in DEMO_LOGINS:
                self.stdout.write(f"  {username:<8} {password:<14} {role}")
