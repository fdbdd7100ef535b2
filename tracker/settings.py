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


DEFAULT_SETTINGS = Settings()
