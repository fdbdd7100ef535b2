"""Choosing the before/after pair: which photos to compare, best first.

Input: the library's tidy frames (``Library.photos()``, ``Library.sessions()``); output:
photo ids. Nothing is opened here; ``tracker.alignment`` aligns the chosen photos and
``tracker.charts`` draws them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracker.analysis.windows import choose_baseline, photo_roles
from tracker.settings import DEFAULT_SETTINGS, Settings


def choose_pair(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    baseline_until=None,
    before=None,
    after=None,
    view: str = "front",
    side: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[list[int], list[int]]:
    """Candidate photo ids for the before/after comparison, best first.

    Before: the accepted baseline photos, latest first (the state just before treatment).
    After: the accepted photos after the baseline taken while on treatment (within the
    pause limit of a logged session: not during a pause, when an effect fades), latest
    first; then those taken during a pause; photos taken right after a session (the passing
    immediate effect) last. With ``before`` or ``after`` (a date or date-time), that side's
    candidates are the accepted photos nearest to it instead. Empty lists when there is no
    baseline or nothing after it.

    Only photos of ``view`` are candidates ("front", or "profile" with ``side``, the
    subject's side that faced the camera: a profile is compared with one of the same side);
    a frame without a ``view`` column holds front photos only.
    """
    kept = photos.loc[(photos["status"] == "ok") & photos["captured_at"].notna()]
    if "view" in kept:
        kept = kept.loc[kept["view"].fillna("front") == view]
        if side is not None and "profile_side" in kept:
            kept = kept.loc[kept["profile_side"] == side]
    elif view != "front":
        kept = kept.iloc[0:0]
    if kept.empty:
        return [], []

    def nearest(when) -> list[int]:
        moment = pd.Timestamp(when)
        distance = (kept["captured_at"] - moment).abs()
        return kept.loc[distance.sort_values(kind="stable").index, "id"].astype(int).tolist()

    if before is not None and after is not None:
        return nearest(before), nearest(after)
    baseline = choose_baseline(photos, sessions, baseline_until=baseline_until, settings=settings)
    if baseline.end is None:
        return [], []
    kept = kept.sort_values("captured_at", ascending=False)
    before_ids = kept.loc[kept["captured_at"] < baseline.end, "id"].astype(int).tolist()
    later = kept.loc[kept["captured_at"] >= baseline.end]
    immediate = photo_roles(later, sessions, settings=settings)["role"] == "after"
    on_treatment = pd.Series(True, index=later.index)
    if sessions is not None and len(sessions):
        starts = pd.to_datetime(sessions["started_at"]).sort_values().to_numpy()
        taken = later["captured_at"].to_numpy()
        last = starts[np.clip(np.searchsorted(starts, taken, side="right") - 1, 0, None)]
        gap = (taken - last) / np.timedelta64(1, "D")
        on_treatment = pd.Series(gap <= settings.pause_days, index=later.index)
    after_ids = (
        later.loc[~immediate & on_treatment, "id"].astype(int).tolist()
        + later.loc[~immediate & ~on_treatment, "id"].astype(int).tolist()
        + later.loc[immediate, "id"].astype(int).tolist()
    )
    return (
        nearest(before) if before is not None else before_ids,
        nearest(after) if after is not None else after_ids,
    )
