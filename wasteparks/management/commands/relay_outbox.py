"""Publish the outbox's unsent Celery messages: once, or in a loop (a relay beside or instead of beat)."""

import time

from django.core.management.base import BaseCommand

from wasteparks.outbox import relay


class Command(BaseCommand):
    help = "Publish unsent outbox messages to the broker (after Redis was down)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep relaying until stopped.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes with --loop.")
        parser.add_argument("--batch", type=int, default=None, help="Messages per pass (OUTBOX_RELAY_BATCH).")

    def handle(self, *args, loop: bool, interval: float, batch: int | None, **options):
        while True:
            total = 0
            # Drain: batches until one comes back short (all sent) or empty (broker away or nothing left).
            while (sent := relay(batch_size=batch)) > 0:
                total += sent
                if batch and sent < batch:
                    break
            if total or not loop:
                self.stdout.write(f"Published {total} outbox message(s).")
            if not loop:
                return
            time.sleep(interval)
