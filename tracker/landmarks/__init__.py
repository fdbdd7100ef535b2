"""Face landmarks: MediaPipe Face Mesh and the named index groups of its 478 points."""

from tracker.landmarks.facemesh import MODEL_NAME, detect_landmarks

__all__ = ["MODEL_NAME", "detect_landmarks"]
