"""Millimetres per pixel: from the iris of one photo, or from a person's calibrated scale.

The iris (11.71 +/- 0.42 mm across adults) is small: a 0.3 px error on a 40 px iris is
0.75 % of every distance. The person's scale is the size of the face's rigid points (nose,
eye corners, cheekbones: ``face_scale_mm``, the reference face's interpupillary distance fitted
to them). Once it is known in millimetres for a person (the median over many photos, each
scaled by its iris), it gives a steadier scale for every later photo of that person. Unlike the
interpupillary distance, it does not move with gaze (the eyes converge on a near camera: 1-2 mm
between 30 and 60 cm), nor with the lids or brows: on the project's 3-D head a 1-2 mm brow lift
reads 0.95-1.02 of its size with it, 0.91-0.97 with the interpupillary distance.
"""

from __future__ import annotations

import numpy as np

from tracker.metrics import registry

# the metric a person's scale is calibrated on (see the module docstring)
PERSON_SCALE_METRIC = "face_scale_mm"


def calibrate_ipd_mm(interpupillary_mm) -> tuple[float, float]:
    """A person's interpupillary distance from many photos each scaled by its own iris.

    Parameters
    ----------
    interpupillary_mm : values of ``interpupillary_mm`` from accepted photos of one person.

    Returns
    -------
    (median, standard error of the median) in mm. The population spread of the iris
    (3.6 %) remains as a constant bias for that person: it scales every distance alike, so
    it cancels in changes relative to the person's own baseline.

    Raises
    ------
    ValueError
        With no values.
    """
    values = np.asarray([v for v in interpupillary_mm if np.isfinite(v)], dtype=np.float64)
    if values.size == 0:
        raise ValueError("no interpupillary distances to calibrate from")
    sem = 1.2533 * values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else float("nan")
    return float(np.median(values)), float(sem)


def rescale_metrics(
    metrics: dict[str, float], person_mm: float, *, key: str = PERSON_SCALE_METRIC
) -> dict[str, float]:
    """Re-express one photo's millimetre metrics with the person's scale.

    Every distance was measured as pixels x (iris-based mm per pixel); multiplying by
    ``person_mm / metrics[key]`` swaps the scale without measuring again (``key`` is the
    metric the person's scale is calibrated on). Angles and percentages do not depend on the
    scale and are returned unchanged.
    """
    factor = person_mm / metrics[key]
    return {k: (v * factor if registry.scales_with_size(k) else v) for k, v in metrics.items()}
