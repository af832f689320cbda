"""The driver's progress bar on stderr (drawn only on a terminal, at most ten times a second)."""
from __future__ import annotations

import sys
import threading
import time
from typing import Optional


def count(n: float) -> str:
    return f"{int(n):,}"


class Progress:
    def __init__(self, label: str, events: int, partitions: int, enabled: Optional[bool] = None) -> None:
        self.label, self.events, self.partitions = label, max(events, 1), partitions
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.time()
        self.lock = threading.Lock()
        self.events_done = self.parts_done = self.parts_failed = 0
        self.first_events = None
        self.n_workers = self.lost = self.retried = 0
        self.last = 0.0

    def done(self, events: int, parts: int) -> None:
        with self.lock:
            if self.first_events is None:
                self.first_events = events  # resumed: not counted in the rate
            else:
                self.events_done += events
            self.parts_done += parts
        self.draw()

    def failed(self, parts: int) -> None:
        with self.lock:
            self.parts_failed += parts
        self.draw()

    def workers(self, current: int, lost: int, retried: int) -> None:
        with self.lock:
            self.n_workers, self.lost, self.retried = current, lost, retried
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.time()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        with self.lock:
            done = self.events_done + (self.first_events or 0)
            f = min(1.0, done / self.events)
            rate = self.events_done / max(now - self.start, 1e-6)
            filled = int(f * 30)
            extra = f"  {self.parts_done}/{self.partitions} partitions  {self.n_workers} workers"
            if self.lost:
                extra += f"  {self.lost} lost"
            if self.retried:
                extra += f"  {self.retried} retried"
            if self.parts_failed:
                extra += f"  {self.parts_failed} failed"
            line = f"\r{self.label} [{'#' * filled}{'-' * (30 - filled)}] {f * 100:3.0f}%  {count(rate)} events/s{extra}\x1b[K"
        sys.stderr.write(line)
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
