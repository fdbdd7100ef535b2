"""The charts of a library: the one place where a chart meets a ``Library``.

These thin wrappers read the library's tidy frames and open its photos, then hand frames and
already-opened pixels to ``tracker.charts`` (which never takes a library nor opens a file).
The CLI and the report call them; their names stay importable from ``tracker.charts``.

Examples
--------
>>> from tracker import Library
>>> from tracker.library_charts import load_frames
>>> with Library(memory=True) as library:
...     photos, sessions = load_frames(library)
>>> len(photos), len(sessions)
(0, 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pandas as pd
from matplotlib.figure import Figure

from tracker.alignment import ALIGNED_SIZE, AlignedPair, AlignedPhoto, align_photo
from tracker.analysis.pairs import choose_pair


def load_frames(library, *, person_scale: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The library's photos and treatment log, as the charts and the report use them.

    Millimetres are on the person's calibrated scale (``Library.photos(person_scale=True)``,
    steadier than each photo's iris) when the library has a measured photo; otherwise on
    each photo's own scale.
    """
    from tracker.errors import LibraryError

    try:
        photos = library.photos(person_scale=person_scale, person=getattr(library, "person", None))
    except LibraryError:  # no measured photo to calibrate from
        photos = library.photos(person=getattr(library, "person", None))
    return photos, library.sessions()


def aligned_pair(
    library,
    *,
    before: int | None = None,
    after: int | None = None,
    photos: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    baseline_until=None,
    size: tuple[int, int] = ALIGNED_SIZE,
    before_date=None,
    after_date=None,
) -> AlignedPair | None:
    """The baseline photo and the latest photo, aligned on the eyes.

    Without ids, the latest accepted baseline photo and the latest accepted photo after the
    baseline (see ``tracker.analysis.choose_pair``); a candidate whose file cannot be opened
    is passed over. Given ids are used as they are, whatever their status.

    Returns
    -------
    AlignedPair, or None when there are not two usable photos.

    Raises
    ------
    LibraryError, PhotoError
        Only for a photo given by id that is unknown, has no landmarks or cannot be opened.
    """
    from tracker.errors import TrackerError

    if photos is None or sessions is None:
        loaded_photos, loaded_sessions = load_frames(library)
        photos = loaded_photos if photos is None else photos
        sessions = loaded_sessions if sessions is None else sessions
    candidates = choose_pair(
        photos, sessions, baseline_until=baseline_until, before=before_date, after=after_date
    )
    chosen = []
    for given, ids, role in ((before, candidates[0], "Baseline"), (after, candidates[1], "Latest")):
        if given is not None:
            chosen.append(align_photo(library, given, role=role, size=size, photos=photos))
            continue
        for photo_id in ids:
            try:
                chosen.append(align_photo(library, photo_id, role=role, size=size, photos=photos))
                break
            except (TrackerError, ValueError):
                continue
        else:
            return None
    return AlignedPair(*chosen)


def timelapse(
    library,
    path: str | os.PathLike[str],
    *,
    photos: pd.DataFrame | None = None,
    size: tuple[int, int] = (320, 400),
    frame_ms: int = 250,
) -> int:
    """Write an eye-aligned animated GIF of every accepted photo in capture order
    (``tracker.charts.write_timelapse``). Photos whose file cannot be opened are skipped.

    Returns
    -------
    int
        Frames written.

    Raises
    ------
    ValueError
        When no accepted photo can be shown.
    OSError
        When the file cannot be written.
    """
    from tracker.charts import write_timelapse
    from tracker.errors import TrackerError

    if photos is None:
        photos = load_frames(library)[0]
    kept = photos.loc[photos["status"] == "ok"].sort_values("captured_at")

    def aligned() -> Iterator[AlignedPhoto]:
        for row in kept.itertuples(index=False):
            try:
                yield align_photo(library, int(row.id), size=size)
            except (TrackerError, ValueError):
                continue

    return write_timelapse(aligned(), path, size=size, frame_ms=frame_ms)


def chart_figure(
    library,
    *,
    metrics: Sequence[str] = (),
    before_after_photos: bool = False,
    baseline_until=None,
    fig: Figure | None = None,
    before_date=None,
    after_date=None,
) -> Figure:
    """The figure ``facetrack chart`` draws (``tracker.charts.frames_figure``) from a
    library: the dashboard; or the given metrics one under the other; or the aligned
    before/after photos.

    Parameters
    ----------
    library : Library
    metrics : sequence of str
        Names in ``CHART_METRICS`` or metric columns; empty for the dashboard.
    before_after_photos : bool
        Draw the before/after photos instead.
    baseline_until
        Passed to ``tracker.analysis.analyse``.
    fig : Figure, optional
        Draw into this figure (for example one of pyplot's, to show it); it is resized.

    Raises
    ------
    ValueError
        For an unknown metric, or when there are not two photos for a before/after.
    """
    from tracker.charts import chart_metrics, frames_figure

    for name in metrics:
        chart_metrics(name)
    photos, sessions = load_frames(library)
    pair = None
    if before_after_photos:
        pair = aligned_pair(
            library,
            photos=photos,
            sessions=sessions,
            baseline_until=baseline_until,
            before_date=before_date,
            after_date=after_date,
        )
    return frames_figure(
        photos,
        sessions,
        metrics=metrics,
        before_after_photos=before_after_photos,
        pair=pair,
        baseline_until=baseline_until,
        fig=fig,
    )
