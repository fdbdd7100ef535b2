"""The capture levers: each metric read at the person's usual capture, learnt from their photos.

The face frame undoes perspective and head pose with a model: Face Mesh's pose and the depth
it gives each point. A point whose true depth differs from the model's by ``dz`` mm is then
left with errors that are levers of the capture, the same in every photo of one person:

* a head turn ``yaw`` moves it across by ``dz * sin(yaw)``;
* a nod ``pitch`` moves it up or down by ``dz * sin(pitch)``;
* the camera's distance ``D`` magnifies it against the eyes by ``1 + dz / D``: an error
  linear in ``1 / D``.

The jaw's outline lies 40-60 mm behind the eyes, the mouth corners and cheeks in front of
them, the brows a few millimetres in front, and a person's face is deeper or shallower than
the model by millimetres (Face Mesh's depth is its model's: it puts the brows 7.7-7.9 mm in
front of the eyes whether they lie 0 or 11 mm in front), so these levers move their metrics
by tenths of a millimetre to millimetres at the turns, nods and distances of hand-held
selfies (on the project's 3-D head: the jaw angle by 0.3-0.5 deg per degree of turn; on
heads 0.7 and 1.3 times as deep, the brow height by -0.09 and +0.07 mm per degree of nod,
:func:`tracker.validation.levers.depth_lever_study`). To first order the move is linear in
``sin(yaw)`` (about the yaw in degrees), ``sin(pitch)`` and ``1 / D``, also for the jaw's
outline, which is where the line of sight grazes the skin rather than a fixed point of it:
to first order in the turn, such an outline moves as the point it passes through does.

A profile has a lever of its own: the head's posture on its neck, the angle between the face
line and the neck line (``head_neck_angle``, :mod:`tracker.metrics.profile`), which a person
does not hold to a degree from one profile to the next and the camera's roll does not move.
Raising the chin turns the line under the chin (and the chord from the chin to the
chin-neck corner) with the head while the neck line stays, so the cervicomental and profile
jawline angles open by exactly as much: their lever is 1 by construction
(``POSTURE_SLOPE``), not learnt, and needs no series; every profile is read at the median
posture of the person's profiles (:func:`covariates_of`; on the 3-D head, whose upper neck
bends with the head, a series gives 1.00). Read so, such an angle is in effect the line
under the chin measured against the face line: a change of the neck line itself would be
taken for posture.

No single photo can tell ``dz``; a series can, whatever the person's anatomy. Photos of one
week share the face (a treatment changes it over weeks, not between photos), so within a week
what moves a metric with the capture is the lever. :func:`capture_levers` fits, per metric
flagged ``capture_adjusted`` in the registry, an ordinary least-squares regression of the
metric on the capture (yaw and pitch in degrees, ``1000 / camera_distance_mm`` in 1/m)
within groups of photos of one calendar week and one session role (before / after a session:
the immediate effect is not a lever), with photos beyond 3.5 robust SDs of the fit left out
once (a misfound outline). A covariate enters only when it varies within weeks (SD at least
the settings' ``lever_min_*``): a steady capture moves a metric little and teaches nothing.
:func:`adjust_for_capture` then reads every photo at the person's usual (median) capture:
``value - sum(slope * (covariate - usual))``; with fewer than
``settings.lever_min_photos`` photos in weeks with two or more, a metric is left as measured
and the table says why.

The slopes are estimated, so the adjustment moves a window's mean by ``slope error *
(the window's mean capture - the usual)``; for a 1 deg difference of mean turn and the
slope's standard error on the 3-D head's 24-selfie series (0.02-0.05 per degree) that is
0.02-0.05 mm or deg, well under the noise floors (``tracker.analysis.noise``), and the trend
does not add it to its intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from tracker.metrics import registry
from tracker.settings import DEFAULT_SETTINGS, Settings

# the capture's levers: name -> (the photos' column it comes from, the setting of its least
# spread within weeks)
COVARIATES: dict[str, tuple[str, str]] = {
    "yaw_deg": ("yaw_deg", "lever_min_yaw_sd_deg"),
    "pitch_deg": ("pitch_deg", "lever_min_pitch_sd_deg"),
    "inverse_distance_per_m": ("camera_distance_mm", "lever_min_inverse_distance_sd_per_m"),
}
# a profile's lever: the head's posture on its neck (tracker.metrics.profile), one value per
# photo from the side it shows; its slope is 1 by construction, not learnt (module docstring)
POSTURE = "head_neck_angle_deg"
POSTURE_SLOPE = 1.0
LEVER_COLUMNS = [
    "metric",
    "covariate",
    "slope",
    "slope_ci_low",
    "slope_ci_high",
    "spread",
    "usual",
    "n_photos",
    "residual_sd",
    "dof",
    "used",
    "note",
    # the slopes' covariance (row: this covariate; column: each covariate)
    *(f"cov_{name}" for name in (*COVARIATES, POSTURE)),
]
OUTLIER_SDS = 3.5


def adjusted_metrics(metrics) -> list[str]:
    """The metrics of ``metrics`` that the trend reads at the usual capture."""
    return [
        m for m in metrics if (info := registry.lookup(m)) is not None and info.capture_adjusted
    ]


def covariates_of(metric: str) -> list[str]:
    """The capture covariates that move ``metric``: a profile's chin-neck angles the head's
    posture on its neck, a front metric the head's turn and nod and the camera's distance.

    >>> covariates_of("cervicomental_angle_left_deg")
    ['head_neck_angle_deg']
    >>> covariates_of("jaw_angle_left_deg")
    ['yaw_deg', 'pitch_deg', 'inverse_distance_per_m']
    """
    info = registry.lookup(metric)
    if info is not None and info.view == "profile":
        return [POSTURE]
    return list(COVARIATES)


def _groups(photos: pd.DataFrame) -> pd.Series:
    """A label per photo: its ISO year and week, and its session role when known."""
    when = pd.to_datetime(photos["captured_at"])
    iso = when.dt.isocalendar()
    label = iso["year"].astype(str) + "-" + iso["week"].astype(str)
    if "session" in photos:
        label = label + "-" + photos["session"].fillna("").astype(str)
    return label


def covariate_values(photos: pd.DataFrame) -> pd.DataFrame:
    """The capture covariates of every photo (NaN where unknown), one column per
    ``COVARIATES`` key (yaw and pitch in degrees, ``1000 / camera_distance_mm``) and
    ``POSTURE``, a profile's head-to-neck posture in degrees (from its side's column)."""
    out = pd.DataFrame(index=photos.index)
    for name, (column, _) in COVARIATES.items():
        values = (
            pd.to_numeric(photos[column], errors="coerce")
            if column in photos
            else pd.Series(np.nan, index=photos.index)
        )
        if name == "inverse_distance_per_m":
            values = 1000.0 / values.where(values > 0)
        out[name] = values.astype(np.float64)
    posture = pd.Series(np.nan, index=photos.index)
    for column in (POSTURE, *(registry.sided("head_neck_angle", s) for s in registry.SIDES)):
        if column in photos:
            posture = posture.fillna(pd.to_numeric(photos[column], errors="coerce"))
    out[POSTURE] = posture.astype(np.float64)
    return out


def _posture_lever(metric: str, frame: pd.DataFrame) -> dict:
    """The lever row of a profile metric: slope ``POSTURE_SLOPE`` (1) by construction, with
    no error; the usual posture the median of the photos that give one, its spread within
    weeks; unused when no photo gives a posture (profiles stored before it was measured:
    ``facetrack remeasure``)."""
    known = frame.dropna(subset=[POSTURE])
    grouped = known.loc[known.groupby("group")[POSTURE].transform("size") >= 2]
    centred = grouped[POSTURE] - grouped.groupby("group")[POSTURE].transform("mean")
    dof = len(grouped) - int(grouped["group"].nunique())
    row = {
        "metric": metric,
        "covariate": POSTURE,
        "n_photos": int(len(known)),
        "usual": float(known[POSTURE].median()) if len(known) else np.nan,
        "spread": float(np.sqrt(np.sum(centred**2) / dof)) if dof > 0 else np.nan,
        "used": bool(len(known)),
        "note": "" if len(known) else "no photo gives the posture: remeasure the library",
    }
    if len(known):
        row.update(
            slope=POSTURE_SLOPE,
            slope_ci_low=POSTURE_SLOPE,
            slope_ci_high=POSTURE_SLOPE,
            dof=math.inf,
            **{f"cov_{POSTURE}": 0.0},
        )
    return row


def _fit(x: np.ndarray, y: np.ndarray, dof_lost: int):
    """OLS of y on the columns of x (both centred within groups), one pass of outlier
    removal; (slopes, their covariance, residual SD, kept mask, degrees of freedom)."""
    keep = np.ones(len(y), bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
        resid = y - x @ coef
        mad = 1.4826 * float(np.median(np.abs(resid[keep] - np.median(resid[keep]))))
        within = np.abs(resid) <= OUTLIER_SDS * max(mad, 1e-12)
        if within.all() or within.sum() == keep.sum():
            break
        keep = within
    dof = int(keep.sum()) - x.shape[1] - dof_lost
    resid = y[keep] - x[keep] @ coef
    sigma2 = float(resid @ resid) / max(dof, 1)
    cov = sigma2 * np.linalg.pinv(x[keep].T @ x[keep])
    return coef, cov, float(np.sqrt(sigma2)), keep, max(dof, 1)


def capture_levers(
    photos: pd.DataFrame, metrics, *, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """How the capture moves each of ``metrics`` in this person's photos.

    Parameters
    ----------
    photos : one row per photo with ``captured_at``, ``status``, the metric columns and the
        capture (``yaw_deg``, ``pitch_deg``, ``camera_distance_mm``; ``session`` used when
        present); only ``status == "ok"`` rows are used.
    metrics : the metrics to fit (any; the trend passes :func:`adjusted_metrics`).

    Returns
    -------
    DataFrame
        ``LEVER_COLUMNS``, one row per metric and covariate: the slope (the metric's unit per
        degree, or per 1/m) with its 95 % interval, the covariate's SD within weeks
        (``spread``) and usual (median) value, the photos used, the fit's residual SD, whether
        the slope is used and, when it is not, why.
    """
    rows = []
    ok = photos.loc[photos["status"] == "ok"] if "status" in photos else photos
    capture = covariate_values(ok)
    groups = _groups(ok) if "captured_at" in ok else pd.Series("", index=ok.index)
    for metric in metrics:
        base = {"metric": metric, "n_photos": 0, "used": False, "note": ""}
        values = pd.to_numeric(ok[metric], errors="coerce") if metric in ok else None
        names = covariates_of(metric)
        frame = capture[names].assign(value=values, group=groups).dropna(subset=["value"])
        if names == [POSTURE]:
            rows.append(_posture_lever(metric, frame))
            continue
        per = {}
        for name in names:
            usual = float(frame[name].median()) if frame[name].notna().any() else np.nan
            per[name] = {**base, "covariate": name, "usual": usual}
        # a covariate recorded for too few photos is left out; the others are fitted on the
        # photos that have them all (a photo lacking one is still read at the usual capture
        # for the rest)
        grouped = frame.loc[frame.groupby("group")["value"].transform("size") >= 2]
        enough = settings.lever_min_photos
        known = [c for c in names if int(frame[c].notna().sum()) >= enough]
        if len(grouped) < enough:
            known = [c for c in names if frame[c].notna().any()]  # too few either way
        frame = frame.dropna(subset=known)
        frame = frame.loc[frame.groupby("group")["value"].transform("size") >= 2]
        n = int(len(frame))
        centred = frame[["value", *known]] - frame.groupby("group")[["value", *known]].transform(
            "mean"
        )
        dof_groups = int(frame["group"].nunique())
        spreads = {
            c: float(np.sqrt(np.sum(centred[c] ** 2) / max(n - dof_groups, 1))) for c in known
        }
        least = {c: float(getattr(settings, COVARIATES[c][1])) for c in names}
        chosen = [c for c in known if spreads[c] >= least[c]]
        for name in names:
            row = per[name]
            row.update(n_photos=n, spread=spreads.get(name, np.nan))
            if n < enough:
                row["note"] = (
                    f"{n} photos in weeks with two or more (needs {enough}): left as measured"
                )
            elif name not in known:
                row["note"] = f"recorded for fewer than {enough} photos: left out"
            elif name not in chosen:
                row["note"] = (
                    f"steady within weeks (SD {spreads[name]:.2g}, needs "
                    f"{least[name]:g}): nothing to learn"
                )
        if chosen and n >= settings.lever_min_photos:
            x = centred[chosen].to_numpy(np.float64)
            y = centred["value"].to_numpy(np.float64)
            coef, cov, sigma, keep, dof = _fit(x, y, dof_groups)
            se = np.sqrt(np.diag(cov))
            t = float(stats.t.ppf(0.975, dof))
            for j, name in enumerate(chosen):
                per[name].update(
                    slope=float(coef[j]),
                    slope_ci_low=float(coef[j] - t * se[j]),
                    slope_ci_high=float(coef[j] + t * se[j]),
                    n_photos=int(keep.sum()),
                    residual_sd=sigma,
                    dof=float(dof),
                    used=True,
                    **{f"cov_{other}": float(cov[j, i]) for i, other in enumerate(chosen)},
                )
        rows += list(per.values())
    frame = pd.DataFrame(rows, columns=LEVER_COLUMNS)
    return frame.astype({"used": bool})


def adjust_for_capture(
    photos: pd.DataFrame, metrics, *, settings: Settings = DEFAULT_SETTINGS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``photos`` with each capture-adjusted metric of ``metrics`` read at the usual capture,
    and the levers (:func:`capture_levers`).

    Every row with the covariates is adjusted (rejected ones too, so that they stay
    comparable); a photo lacking a used covariate keeps its value. Returns a copy; ``photos``
    is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> yaw = [-3.0, -1.0, 1.0, 3.0] * 6
    >>> photos = pd.DataFrame({
    ...     "captured_at": pd.to_datetime(["2026-01-05 08:00"] * 12 + ["2026-01-12 08:00"] * 12),
    ...     "status": "ok", "yaw_deg": yaw, "pitch_deg": 0.0, "camera_distance_mm": 400.0,
    ...     "jaw_angle_left_deg": [125.0 + 0.3 * y for y in yaw],
    ... })
    >>> out, levers = adjust_for_capture(photos, ["jaw_angle_left_deg"])
    >>> used = levers.loc[levers["used"]]
    >>> list(used["covariate"]), round(float(used["slope"].iloc[0]), 3)
    (['yaw_deg'], 0.3)
    >>> sorted(set(out["jaw_angle_left_deg"].round(9)))
    [125.0]
    """
    chosen = adjusted_metrics(metrics)
    levers = capture_levers(photos, chosen, settings=settings)
    out = photos.copy()
    capture = covariate_values(out)
    for metric, table in levers.loc[levers["used"]].groupby("metric", sort=False):
        shift = pd.Series(0.0, index=out.index)
        for row in table.itertuples(index=False):
            shift += (row.slope * (capture[row.covariate] - row.usual)).fillna(0.0)
        out[metric] = pd.to_numeric(out[metric], errors="coerce") - shift
    return out, levers


def lever_uncertainty(levers: pd.DataFrame, metric: str) -> tuple[list[str], np.ndarray, float]:
    """The used covariates of ``metric`` in a ``capture_levers`` table, their slopes'
    covariance and the fit's degrees of freedom; ([], empty, inf) when none is used.

    A metric read at the usual capture carries the slopes' error into every comparison:
    a window whose mean capture differs from the baseline's by ``d`` (a vector over the
    covariates) is off by ``d . (slope error)``, of variance ``d' C d``
    (:func:`capture_variance`)."""
    rows = levers.loc[(levers["metric"] == metric) & levers["used"].astype(bool)]
    names = [str(c) for c in rows["covariate"]]
    if not names:
        return [], np.zeros((0, 0)), math.inf
    cov = rows[[f"cov_{c}" for c in names]].to_numpy(np.float64)
    return names, cov, float(rows["dof"].iloc[0])


def capture_variance(
    names: list[str], cov: np.ndarray, sample: pd.DataFrame, reference: pd.DataFrame
) -> float:
    """``d' C d``: the variance a comparison of ``sample`` with ``reference`` (per-day
    frames with a ``capture_<covariate>`` column each, as ``windows.daily_values`` gives)
    takes from the slopes' error, ``d`` the difference of their mean captures. 0 without
    covariates, NaN captures count as the usual (no difference)."""
    if not names:
        return 0.0
    d = np.array(
        [
            np.nan_to_num(
                float(sample[f"capture_{c}"].mean()) - float(reference[f"capture_{c}"].mean())
            )
            if f"capture_{c}" in sample and f"capture_{c}" in reference
            else 0.0
            for c in names
        ]
    )
    return float(d @ cov @ d)


def weighted_capture_variance(
    names: list[str], cov: np.ndarray, frame: pd.DataFrame, weights
) -> float:
    """``d' C d`` for an estimate ``sum_i weights_i * value_i`` over the rows of ``frame``
    (per-day values or before/after pairs with a ``capture_<covariate>`` column each): the
    slopes' error moves it by ``d . (slope error)``, ``d = sum_i weights_i capture_i``. NaN
    captures count as the frame's mean capture; 0 without covariates."""
    if not names:
        return 0.0
    w = np.asarray(weights, dtype=np.float64)
    d = np.zeros(len(names))
    for k, c in enumerate(names):
        column = f"capture_{c}"
        if column not in frame:
            continue
        values = frame[column].to_numpy(np.float64)
        if not np.isfinite(values).any():
            continue
        d[k] = float(w @ np.where(np.isfinite(values), values, np.nanmean(values)))
    return float(d @ cov @ d)
