"""Whose photo, and which way round: the library's people, learned from their first photos.

Each photo belongs to a person (``photos.person``, "me" unless imported with ``person=``).
Once a person has ``Settings.person_baseline_photos`` accepted photos, the earliest of them
(by capture time) make the person: the median of their face-shape signatures and of their
asymmetry patterns (:mod:`tracker.metrics.identity`), with a threshold from their own spread
(``Settings.person_distance_floor`` and ``person_distance_factor``). Every photo of that
person is then decided once:

* ``identity`` "baseline" or "same", or "different": a photo whose face shape is further from
  the person's than the threshold is kept, but rejected with a reason that says so (and so
  left out of every trend);
* a photo whose asymmetry pattern correlates with the person's mirrored pattern is a mirror
  image: its stored landmarks are flagged ``flipped`` and measured the right way round.

This module reads and writes the library's tables on a connection inside the caller's
transaction; the geometry is in :mod:`tracker.metrics.identity`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Reason, ReasonCode

DEFAULT_PERSON = "me"
N_POINTS = 478


@dataclass
class Settled:
    """What one :func:`settle` decided: photo id -> reason for other people's photos, the ids
    found mirrored (and read the right way round) and the people learned."""

    different: dict[int, Reason] = field(default_factory=dict)
    mirrored: list[int] = field(default_factory=list)
    learned: list[str] = field(default_factory=list)


def _blob(array) -> bytes:
    return np.ascontiguousarray(np.asarray(array, dtype="<f8")).tobytes()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f8").astype(np.float64)


def different_reason(distance: float, own: list[float], person: str) -> Reason:
    """The rejection reason for another person's photo."""
    whose = "your photos" if person == DEFAULT_PERSON else f"{person}'s photos"
    low, high = (min(own), max(own)) if own else (float("nan"), float("nan"))
    return Reason(
        ReasonCode.DIFFERENT_PERSON,
        f"looks like a different person (face shape distance {distance:.1f}, "
        f"{whose} {low:.1f}-{high:.1f})",
    )


def fill_readings(db: sqlite3.Connection) -> int:
    """Compute the signature and asymmetry pattern of stored landmarks that lack them (new
    imports, libraries from before they were stored). Returns how many."""
    from tracker.library.core import _cameras
    from tracker.metrics.identity import face_readings

    rows = db.execute(
        "SELECT photo_id, points, scale_mm_per_px, scale_source, focal_length_px, focal_source, "
        "image_width_px, image_height_px FROM landmarks WHERE signature IS NULL"
    ).fetchall()
    if not rows:
        return 0
    stack = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f8").reshape(len(rows), N_POINTS, 3)
    focal, centres = _cameras(rows)
    with np.errstate(all="ignore"):
        signatures, patterns = face_readings(
            stack, focal_length_px=focal, principal_point_px=centres
        )
    db.executemany(
        "UPDATE landmarks SET signature = ?, asymmetry = ? WHERE photo_id = ?",
        [(_blob(s), _blob(p), r[0]) for r, s, p in zip(rows, signatures, patterns)],
    )
    return len(rows)


def settle(db: sqlite3.Connection, now: str, *, settings: Settings = DEFAULT_SETTINGS) -> Settled:
    """Learn every person who has enough accepted photos, and decide every photo not yet
    decided (see the module docstring). Returns what was decided; photos found mirrored need
    remeasuring by the caller."""
    from tracker.library.core import _stored_json
    from tracker.metrics.identity import mirror_correlation, signature_distance

    fill_readings(db)
    settled = Settled()
    people = [row[0] for row in db.execute("SELECT DISTINCT person FROM photos ORDER BY person")]
    for person in people:
        known = db.execute(
            "SELECT signature, asymmetry, distances, threshold, pattern_strength "
            "FROM people WHERE name = ?",
            (person,),
        ).fetchone()
        if known is None:
            known = _learn(db, person, now, settings)
            if known is None:
                continue
            settled.learned.append(person)
        signature, pattern = _array(known[0]), _array(known[1])
        own, threshold, strength = _stored_json(known[2], []), float(known[3]), known[4]
        own = [d for d in own if d <= threshold]
        rows = db.execute(
            "SELECT p.id, p.reasons, p.reason_codes, p.mirror_source, p.identity, l.signature, "
            "l.asymmetry, l.flipped FROM photos p JOIN landmarks l ON l.photo_id = p.id "
            # only accepted photos: a photo rejected already (blurred, eyes closed, face cut)
            # is out of every trend, and its landmarks do not say whose face it is
            "WHERE p.person = ? AND l.signature IS NOT NULL AND p.status = 'ok' "
            "AND (p.identity IS NULL OR (p.identity = 'baseline' AND p.identity_distance IS NULL))",
            (person,),
        ).fetchall()
        for photo_id, reasons, codes, mirror_source, identity, sig, asym, flipped in rows:
            distance = float(signature_distance(_array(sig), signature))
            if not np.isfinite(distance):
                continue
            if distance > threshold:
                reason = different_reason(distance, own, person)
                db.execute(
                    "UPDATE photos SET identity = 'different', identity_distance = ?, "
                    "identity_reason = ?, status = 'rejected', reasons = ?, "
                    "reason_codes = ? WHERE id = ?",
                    (
                        distance,
                        reason,
                        json.dumps([*_stored_json(reasons, []), str(reason)]),
                        json.dumps([*_stored_json(codes, []), reason.code.value]),
                        photo_id,
                    ),
                )
                settled.different[int(photo_id)] = reason
                continue
            db.execute(
                "UPDATE photos SET identity = ?, identity_distance = ? WHERE id = ?",
                (identity or "same", distance, photo_id),
            )
            if strength is None or strength < settings.mirror_min_pattern:
                continue
            right_way = _array(asym) * (-1.0 if flipped else 1.0)
            correlation = float(mirror_correlation(right_way, pattern))
            stored_correlation = -correlation if flipped else correlation
            db.execute(
                "UPDATE photos SET mirror_correlation = ? WHERE id = ?",
                (stored_correlation, photo_id),
            )
            if mirror_source == "marked" or not correlation < -settings.mirror_min_correlation:
                continue
            db.execute("UPDATE landmarks SET flipped = 1 - flipped WHERE photo_id = ?", (photo_id,))
            db.execute(
                "UPDATE photos SET mirrored = 1 - mirrored, mirror_source = 'detected' "
                "WHERE id = ?",
                (photo_id,),
            )
            settled.mirrored.append(int(photo_id))
    return settled


def _learn(db: sqlite3.Connection, person: str, now: str, settings: Settings):
    """Make a person from their first accepted photos; None when there are too few yet."""
    from tracker.metrics.identity import mirror_correlation, reference_signature, signature_distance

    rows = db.execute(
        "SELECT p.id, l.signature, l.asymmetry, l.flipped FROM photos p "
        "JOIN landmarks l ON l.photo_id = p.id WHERE p.person = ? AND p.status = 'ok' "
        "AND l.signature IS NOT NULL ORDER BY p.captured_at, p.id LIMIT ?",
        (person, settings.person_baseline_photos),
    ).fetchall()
    if len(rows) < settings.person_baseline_photos:
        return None
    signatures = np.stack([_array(r[1]) for r in rows])
    patterns = np.stack([_array(r[2]) * (-1.0 if r[3] else 1.0) for r in rows])
    reference = reference_signature(signatures)
    distances = [float(d) for d in signature_distance(signatures, reference)]
    threshold = max(
        settings.person_distance_floor,
        settings.person_distance_factor * float(np.median(distances)),
    )
    pattern = np.median(patterns, axis=0)
    # how much of the pattern is the person's own, not noise: each first photo's pattern
    # against the median of the others (pure noise gives about 0; a median that includes the
    # photo itself would correlate with it even then)
    strength = float(
        np.median(
            [
                mirror_correlation(patterns[k], np.median(np.delete(patterns, k, axis=0), axis=0))
                for k in range(len(patterns))
            ]
        )
    )
    db.execute(
        "INSERT INTO people (name, signature, asymmetry, photo_ids, distances, "
        "threshold, pattern_strength, learned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person,
            _blob(reference),
            _blob(pattern),
            json.dumps([int(r[0]) for r in rows]),
            json.dumps(distances),
            threshold,
            strength,
            now,
        ),
    )
    db.executemany(
        "UPDATE photos SET identity = 'baseline', identity_distance = NULL WHERE id = ?",
        [(int(r[0]),) for r in rows],
    )
    return _blob(reference), _blob(pattern), json.dumps(distances), threshold, strength
