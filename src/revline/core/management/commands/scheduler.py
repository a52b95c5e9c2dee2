import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from revline.core.scheduler import JOBS, run_due, run_forever


class Command(BaseCommand):
    help = "Run the periodic jobs (scheduled emails, sequences) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        if once:
            ran = run_due(JOBS, {}, 0.0, resolve=import_string)
            self.stdout.write(f"Ran {len(ran)} periodic jobs.")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_forever(stop)
