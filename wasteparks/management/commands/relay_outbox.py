"""Publish the outbox's unsent Celery messages: once, or as the relay process (`--loop`).

With `--loop` it publishes whatever is waiting, then sleeps until an enqueue commits (PostgreSQL NOTIFY) or
`--interval` seconds pass, and again, until stopped. A database or broker outage is waited out, never a
reason to exit: the relay is what delivers side effects once the outage ends. `--liveness-file` is touched
after every pass, so a container health check can tell a relay that is stuck from one that is waiting.
"""

import logging
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connection

from wasteparks.outbox import relay, wait_for_messages

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Publish unsent outbox messages to the broker; with --loop, keep doing so as they are written."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep relaying until stopped.")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Longest wait, in seconds, between passes with --loop."
        )
        parser.add_argument("--batch", type=int, default=None, help="Messages per pass (OUTBOX_RELAY_BATCH).")
        parser.add_argument("--liveness-file", type=Path, default=None, help="Touched after every pass.")

    def handle(self, *args, loop: bool, interval: float, batch: int | None, liveness_file: Path | None, **options):
        if not loop:
            self.stdout.write(f"Published {self._drain(batch)} outbox message(s).")
            return
        while True:
            try:
                total = self._drain(batch)
                if total:
                    self.stdout.write(f"Published {total} outbox message(s).")
                if liveness_file is not None:
                    liveness_file.touch()
                wait_for_messages(interval)
            except (OperationalError, InterfaceError) as error:
                # The database is away: drop the broken connection and try again after a pause.
                logger.warning("Outbox relay: database unavailable (%s); retrying in %.0f s", error, interval)
                connection.close()
                time.sleep(interval)

    @staticmethod
    def _drain(batch: int | None) -> int:
        """Batches until one comes back short (all sent) or empty (the broker is away or nothing is left)."""
        total = 0
        while (sent := relay(batch_size=batch)) > 0:
            total += sent
            if batch and sent < batch:
                break
        return total
