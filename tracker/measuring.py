"""Measuring photo files for an import, in worker processes, results streamed in order.

Workers are started with "spawn" (MediaPipe's threads and fork do not mix) and each loads the
model once, on its first photo. At most ``2 x workers`` photos are in flight, so memory does
not grow with the size of the import. A worker returns a slim ``PhotoResult``: numbers, small
arrays and text, never pixels.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from tracker.types import PhotoResult, Reason, ReasonCode

MeasureFunction = Callable[..., PhotoResult]
CRASH_REASON = Reason(ReasonCode.CRASHED, "the measuring process crashed on this file")
NOT_STARTED_NOTE = "worker processes could not start ({why}); measured in this process"
UNGUARDED_MAIN = (
    'the main script has no `if __name__ == "__main__":` guard around this '
    "call, so each worker process would run the script again"
)


def default_measure(path: str | Path, *, mirrored: bool = False, view: str = "auto") -> PhotoResult:
    """``tracker.pipeline.measure_photo_view`` with the photo's pixels dropped."""
    from tracker.pipeline import measure_photo_view

    result, _ = measure_photo_view(path, view=view, mirrored=mirrored)
    return result


def measure_one(measure: MeasureFunction, path: str, mirrored: bool) -> PhotoResult:
    """Run ``measure`` on one file; never raises (an unexpected exception is an error result)."""
    try:
        result = measure(path, mirrored=mirrored)
        # the brow edge samples are for overlays only: not worth sending between processes
        return replace(result, brow_edge_px=None, jaw_edge_px=None)
    except Exception as exc:  # a bug on one photo must not cost the batch
        message = " ".join(str(exc).split())
        what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return PhotoResult(
            file=str(path),
            status="error",
            reasons=(Reason(ReasonCode.UNEXPECTED_ERROR, f"unexpected error: {what}"),),
        )


def main_script_reruns() -> bool:
    """True when a worker started with "spawn" would run the caller's main script again:
    the main module is a script file (or ``-m`` module) and this call comes from its
    top-level code outside an ``if __name__ == "__main__":`` block.

    An interactive session, a notebook or ``python -c`` has no script to re-run (False). A
    call from a function is judged by the top-level line that led to it. When the script's
    source cannot be read, it is taken as unguarded (measuring in this process is slower,
    never wrong).
    """
    import ast
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or multiprocessing.parent_process() is not None:
        return False
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and not (
        frame.f_globals is vars(main) and frame.f_code.co_name == "<module>"
    ):
        frame = frame.f_back
    if frame is None:
        return False  # not called from the main script's top level (a thread, a callback)
    line = frame.f_lineno
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and _is_main_test(node.test)
            and node.body[0].lineno <= line <= (node.body[-1].end_lineno or line)
        ):
            return False
    return True


def _is_main_test(test) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    import ast

    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    texts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(texts) == 1


def _ping() -> bool:
    """Run in a new worker: proves that it started and can import this module."""
    return True


def _start_worker() -> None:
    """Set up a worker process: ignore Ctrl-C, and exit when the importing process dies."""
    # Ctrl-C reaches the whole process group: let the main process alone decide what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A spawned worker holds both ends of its task queue, so it would wait for tasks forever
    # after the main process is killed (kill -9, a crash): watch the parent and leave with it.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_with, args=(parent,), daemon=True, name="facetrack-parent-watch"
        ).start()


def _exit_with(parent) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(1)


class Measurer:
    """Measure files in submission order, in-process (``workers <= 1``) or in a process pool.

    Use as a context manager; ``submit`` a file with any key, then iterate ``ready()`` after
    each submission (it yields results while too many are in flight) and ``drain()`` at the end.
    Each yields ``(key, PhotoResult)``. A worker that dies (a native crash on a file) costs only
    that file: the others that were in flight are measured again one at a time.

    When no worker can start at all (or ``measure`` cannot be sent to one), everything is
    measured in this process instead and ``notes`` says why.
    """

    def __init__(self, measure: MeasureFunction, *, mirrored: bool, workers: int) -> None:
        self.measure = measure
        self.mirrored = mirrored
        self.workers = max(1, int(workers))
        self.max_in_flight = 2 * self.workers
        self.notes: list[str] = []
        self._pool: ProcessPoolExecutor | None = None
        self._pool_started = False
        self._pending: deque[tuple[Any, str, Future | PhotoResult]] = deque()
        if self.workers > 1:
            try:
                pickle.dumps(measure)
            except Exception as exc:  # a lambda or a local function cannot go to a worker
                self._fall_back(f"the measure function cannot be sent to them: {exc}")
        if self.workers > 1 and main_script_reruns():
            # "spawn" runs the main script again in every worker: without a main guard the
            # script's own import_photos and log_session would run once per worker
            self._fall_back(UNGUARDED_MAIN)

    def __enter__(self) -> Measurer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (cancelling what has not started)."""
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, key: Any, path: str | Path) -> None:
        path = str(path)
        if self.workers == 1:
            self._pending.append((key, path, measure_one(self.measure, path, self.mirrored)))
        else:
            self._pending.append((key, path, self._submit(path)))  # may fall back to workers=1

    def ready(self) -> Iterator[tuple[Any, PhotoResult]]:
        """Results of the oldest submissions while the number in flight is at its limit."""
        while len(self._pending) >= (1 if self.workers == 1 else self.max_in_flight):
            yield self._collect(self._pending.popleft())

    def drain(self) -> Iterator[tuple[Any, PhotoResult]]:
        """Every remaining result, in submission order."""
        while self._pending:
            yield self._collect(self._pending.popleft())

    def _submit(self, path: str) -> Future | PhotoResult:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
            if not self._pool_started:
                try:
                    self._pool.submit(_ping).result()
                    self._pool_started = True
                except Exception as exc:  # e.g. a __main__ that spawn cannot import
                    self._discard_pool()
                    self._fall_back(f"{type(exc).__name__}: {exc}")
        if self._pool is None:
            return measure_one(self.measure, path, self.mirrored)
        try:
            return self._pool.submit(measure_one, self.measure, path, self.mirrored)
        except BrokenProcessPool:
            # a worker died on a file in flight since the last submission: that file and its
            # companions are measured again when collected; this one goes to a fresh pool
            self._discard_pool()
            return self._submit(path)

    def _fall_back(self, why: str) -> None:
        self.workers = 1
        self.notes.append(NOT_STARTED_NOTE.format(why=" ".join(why.split())))

    def _collect(self, entry) -> tuple[Any, PhotoResult]:
        key, path, outcome = entry
        if isinstance(outcome, PhotoResult):
            return key, outcome
        try:
            return key, outcome.result()
        except (BrokenProcessPool, CancelledError):  # its pool broke, or was discarded
            pass
        except Exception as exc:  # the result could not come back from the worker
            return key, PhotoResult(
                file=path,
                status="error",
                reasons=(
                    Reason(
                        ReasonCode.UNEXPECTED_ERROR,
                        f"unexpected error: {type(exc).__name__}: {exc}",
                    ),
                ),
            )
        # A worker died. Every file in flight in that pool failed with it: measure each again
        # on its own, now, so that a crash can be pinned on the file that causes it.
        self._discard_pool()
        result = self._measure_alone(path)
        retried: deque = deque()
        for other_key, other_path, other in self._pending:
            if isinstance(other, Future):
                finished = other.done() and not other.cancelled() and other.exception() is None
                other = other.result() if finished else self._measure_alone(other_path)
            retried.append((other_key, other_path, other))
        self._pending = retried
        return key, result

    def _measure_alone(self, path: str) -> PhotoResult:
        """Measure one file with nothing else in flight: if the pool breaks now, it was this
        file."""
        try:
            outcome = self._submit(path)
            return outcome if isinstance(outcome, PhotoResult) else outcome.result()
        except BrokenProcessPool:
            self._discard_pool()
            return PhotoResult(file=path, status="error", reasons=(CRASH_REASON,))

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
