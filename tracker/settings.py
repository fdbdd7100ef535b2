"""Every threshold and constant in one place, with the reason for its value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # --- reading photos -------------------------------------------------------------------
    # Refuse images above this many pixels before decoding them (decompression-bomb guard).
    # 200 MP phone sensors exist (16320 x 12240); 210 MP leaves them room.
    max_image_pixels: int = 210_000_000
    # Decode JPEGs at a reduced size (libjpeg DCT scaling) as long as the long side stays at
    # least this many pixels. benchmarks/bench_decode.py shows the speed and the precision lost.
    decode_min_long_side_px: int = 2000

    # --- scale --------------------------------------------------------------------------------
    # Horizontal visible iris diameter of adults: 11.71 +/- 0.42 mm (Ruefer et al., Cornea 2005).
    iris_diameter_mm: float = 11.71
    iris_diameter_sd_mm: float = 0.42

    # --- quality ------------------------------------------------------------------------------
    # Pose tolerances (degrees from the frontal reference face), from benchmarks/bench_pose.py.
    # Yaw: after the face-frame correction brow height moves by at most ~0.03 mm/deg, so 10 deg
    # costs less than the noise floor. Pitch: the correction removes about two thirds of the
    # effect, leaving ~0.12 mm/deg; 8 deg admits habitual head carriage (-6 to +3 deg in the
    # test photos) while refusing clearly tipped heads, and trends should also compare photos
    # of like pitch. Roll: removed exactly by the face frame, and Face Mesh sees an upright
    # view; metrics move < 0.4 mm / 0.4 deg up to 20 deg.
    max_abs_yaw_deg: float = 10.0
    max_abs_pitch_deg: float = 8.0
    max_abs_roll_deg: float = 20.0
    # Smallest usable face: iris diameter in pixels. Below 8 px Face Mesh's iris is a few pixels
    # and the mm scale alone is uncertain by more than 5 %.
    min_iris_px: float = 8.0
    # Sharpness: variance of the Laplacian of the face crop resampled so the iris is 20 px wide
    # (so that it does not depend on image size), with the face's brightness normalised to 128
    # (so that a dark photo is not taken for a blurred one). Sharp photos give 40-400; a
    # Gaussian blur of a tenth of the iris diameter brings them under 15.
    min_sharpness: float = 15.0
    # Exposure of the face (grey levels 0-255 over the face oval).
    min_face_brightness: float = 45.0
    max_face_brightness: float = 225.0
    max_clipped_fraction: float = 0.25  # of face pixels at <= 5 or >= 250
    # Expression (ratios of Face Mesh distances, so independent of size).
    min_eye_openness: float = 0.14  # lid gap / eye width; open eyes 0.2-0.35, closed < 0.1
    max_mouth_open: float = 0.12  # inner lip gap / mouth width
    max_smile: float = 0.045  # mouth corners above the lips' centre, / interpupillary distance
    max_mouth_width: float = 0.98  # mouth width / interpupillary distance (broad smiles)
    # Gaze: the irises' mean sideways offset from the middle of each eye, / eye width. A
    # sideways look narrows the visible iris and inflates the iris scale (22 % at 0.13);
    # people looking at the camera measured -0.06 to +0.03.
    max_gaze: float = 0.09

    # --- trends (tracker.analysis) ------------------------------------------------------------
    # A photo within this many hours before a session's start, or after its end, shows the
    # session's immediate effect (which fades within hours).
    immediate_window_hours: float = 3.0
    # With neither a session nor --baseline-until before the photos, the first week is the
    # baseline.
    first_week_days: int = 7
    # Days after the first treatment that make the "2-4 weeks" window (inclusive); after the
    # last one is "long term" (the windows of the treatment literature).
    weeks_2_4_days: tuple[int, int] = (14, 28)
    # A gap of more than this many days between sessions (or since the last one) is a pause.
    pause_days: int = 14
    # Fewest per-day values on each side of a comparison, and sessions for the immediate
    # window: with two, a t interval has one degree of freedom and spans +-12.7 SE.
    min_days: int = 3
    min_pairs: int = 3
    # A pause's effect: the last week on treatment against the pause's last week.
    fade_days: int = 7
    # A slope needs its days to span at least a week to be stated per week.
    min_slope_span_days: int = 7
    # Like pose within a trend: an accepted photo whose pitch or yaw differs from the median of
    # the person's accepted photos by more than this is left out of the trend. After the
    # face-frame correction brow height still drifts ~0.1 mm per degree of pitch (facetrack
    # validate's real photos; 0.07-0.10 on 3-D heads deeper or shallower than Face Mesh's
    # model), so 3 deg keeps that under ~0.35 mm, below its MDC95, before the trend reads it
    # at the usual nod (tracker.analysis.levers, learnt from nods within these limits); brow
    # height hardly depends on yaw, jaw angles ~0.25 deg per degree of yaw.
    trend_max_pitch_from_usual_deg: float = 3.0
    trend_max_yaw_from_usual_deg: float = 5.0
    # Some metrics are read at the person's usual capture (tracker.analysis.levers): how much
    # the head's turn and nod and the camera's distance move each is learnt from the person's
    # own photos, within weeks. A slope's standard error is about SD / (spread * sqrt(n)):
    # with the jaw outline's selfie SD of 0.6 mm (validation), 12 photos whose yaw spreads by
    # 1.5 deg (SD) give 0.12 mm per degree, i.e. 0.12 mm on a window whose mean turn differs
    # by 1 deg. With fewer photos the metric is left as measured; a covariate that spreads
    # less than its minimum (a head held that steadily, a camera held at one distance:
    # 0.1 /m is 1.6 cm at 40 cm) moves the metric little and is left out. (A profile's
    # chin-neck angles are read at the person's usual posture of the head on the neck with a
    # lever of 1 by construction, nothing learnt: tracker.analysis.levers.POSTURE_SLOPE.)
    lever_min_photos: int = 12
    lever_min_yaw_sd_deg: float = 1.5
    lever_min_pitch_sd_deg: float = 1.0
    lever_min_inverse_distance_sd_per_m: float = 0.1
    # Like camera distance within a trend: an accepted photo whose camera distance differs from
    # the median of the person's accepted photos by more than this percentage is left out.
    # The iris sets the scale at the irises' depth; a feature Delta = 15 mm nearer or further
    # (brow ridge, cheek) is magnified relative to them by Delta / Z, so between photos taken at
    # Z1 and Z2 its size changes by Delta * |1/Z1 - 1/Z2|. Selfies are taken 30-45 cm away: at
    # 35 cm, a photo 20 % nearer (28 cm) changes it by 15 * (1/280 - 1/350) = 1.1 %, one 20 %
    # further (42 cm) by 0.7 %; 1 % of a 25 mm brow height is 0.25 mm, under half the brow's
    # MDC95 (0.37-0.57 mm). The iris gives each photo's distance to about 3 %, far inside 20 %.
    trend_max_distance_change_pct: float = 20.0

    # --- advice for the next photo (tracker.analysis.capture) ---------------------------------
    # Deviations from the person's usual capture worth a word: half the trend's limits, so that
    # a photo taken as advised stays well inside them. Roll changes no metric (the face frame
    # removes it), so only a clear tilt is mentioned.
    advice_distance_pct: float = 10.0
    advice_yaw_deg: float = 2.5
    advice_pitch_deg: float = 1.5
    advice_roll_deg: float = 5.0

    # --- one person, the right way round (tracker.library.people, tracker.metrics.identity) ---
    # A person is learned from their first accepted photos (by capture time): the median of
    # their face-shape signatures, and of their asymmetry patterns.
    person_baseline_photos: int = 5
    # A photo is another person's when its face-shape distance from the person's signature
    # exceeds max(floor, factor x the median distance of the baseline photos from it). On the
    # project's 3-D head (tracker.validation.identity, two runs, 98 selfies of the person:
    # pose, distance, light, noise, JPEG, a treatment effect on brow, jaw and mouth corners,
    # mirror images; 40 other face shapes with the anthropometric between-person SDs, 120
    # selfies) the person's photos lie 0.22-1.34 from their signature (95th percentile 1.12),
    # other faces 0.84-4.11 (5th percentile 1.13, median 2.33): the thresholds this gives
    # (1.50 and 1.62 in the two runs) keep every own photo and catch 98 of the 120 others (the
    # floor alone: 104). A person's own photos lie up to 3.4 (95th percentile 2.6) times
    # their baseline's median distance, whatever its size: with a factor of 3, a person whose
    # photos scatter more than the renders (real photos do) keeps well over 95 % of their own.
    person_distance_floor: float = 1.5
    person_distance_factor: float = 3.0
    # A photo is read as a mirror image when its asymmetry pattern correlates with the
    # person's by less than minus this (the mirror image's pattern is the negative); between
    # -this and +this nothing is decided. On the 3-D head with one brow 2 mm higher
    # (tracker.validation.identity, two runs), 30 of 32 mirror images correlate at -0.98 to
    # -0.30 (2 at -0.21 to -0.30 stay undecided) and 66 photos the right way round at -0.18 to
    # +0.99 (none below -0.3; 5 undecided). No detection when
    # each baseline photo's pattern correlates with the others' median by less than
    # ``mirror_min_pattern`` (median over the baseline photos: a face too
    # symmetric to tell its sides apart).
    mirror_min_correlation: float = 0.3
    mirror_min_pattern: float = 0.5

    # --- the profile view (tracker.metrics.profile) -------------------------------------------
    # A photo is a front photo when Face Mesh finds a face turned less than this; a profile
    # needs the face turned beyond it (Face Mesh, when it finds anything in a profile, reads
    # 50-90 deg) and a silhouette with a nose, a chin and a neck.
    profile_min_yaw_deg: float = 45.0
    # The outline is refined on the image against a smooth background: the background's own
    # texture (robust SD of its colour after a smooth trend, grey levels) must stay below
    # this. Plain walls give the sensor noise and JPEG (1-4 on the 3-D head's renders with
    # noise SD up to 2.5 and JPEG 80); patterned backgrounds give tens.
    profile_max_background_sd: float = 8.0
    # Head level in a profile: the line nasion -> pogonion against the vertical. Soft-tissue
    # facial angles of level heads lie within about +/-10 deg of it; beyond this the chin is
    # raised (which opens the chin-neck angle) or tucked (which closes it).
    profile_max_face_tilt_deg: float = 15.0
    # A profile's nose tip stands 0.15-0.3 of the nasion-pogonion length ahead of that line
    # (the 3-D head: 0.23-0.24 over its renders); an outline whose "nose" stands out less
    # is no face in profile (a ball, a bump of hair, a shoulder).
    profile_min_nose_prominence: float = 0.08
    # Sharpness of a profile: the 10-90 % rise of the colour step across the outline from the
    # nasion to the menton (tracker.quality.edge_rise_px), per cent of the nasion-menton
    # distance. A sharp render of the 3-D head gives 0.26 % (1.1 px; 30 random profile
    # selfies with noise and JPEG 0.26-0.60 %); a Gaussian blur of SD sigma widens a rise w0
    # to sqrt(w0^2 + (2.563 sigma)^2). On the 3-D head (face 413 px) a blur of SD 3 px (rise
    # 1.9 %) moves the cervicomental angle by up to 0.5 deg, the selfie noise; SD 4 px (2.5 %)
    # by 0.5-0.9 deg. The front view's limit is of the same order: an SD of a tenth of the
    # iris, 1.2 mm, against a nasion-menton distance of about 120 mm, a rise of 2.6 %.
    profile_max_edge_width_pct: float = 2.0
    # A fold in the outline under the chin (tracker.metrics.profile.chin_neck_fold_pct, per
    # cent of the pogonion-cervical contour): an outline without one gives 0 by
    # construction; the 3-D head's renders up to 2 % (30 random profile selfies: at most
    # 1.6 %; a pixel's jog at the corner). Its neck in shadow (60 %) cuts a slot under the
    # chin that moves the cervical point: 13 %.
    profile_max_chin_neck_fold_pct: float = 5.0
    # The face's size in a profile: its nasion-menton distance in the analysed image's pixels.
    # The chin-neck lines are fitted over tens of pixels of outline; on a smaller face a
    # pixel's error turns them more. On the 3-D head (benchmarks/bench_profile_size.py: ten
    # hand-held captures with fewer and fewer pixels) a known 5 deg change reads 4.60-5.48 deg
    # on every face this check keeps; up to 0.6 deg off at 150-200 px, 0.9 at 120-165, 1.5 at
    # 90-125. A 12-megapixel photo taken at 33-50 cm has 330-450 px at the analysed size (long
    # side 2016 px); a profile under this limit there is read again from the full-size image.
    profile_min_face_height_px: float = 180.0


DEFAULT_SETTINGS = Settings()
