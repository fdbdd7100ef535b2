"""What an import did: ImportSummary and the wording of its lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tracker.formatting import plural
from tracker.types import Reason

_SOURCE_WORDS = {
    "exif": "from EXIF",
    "filename": "from the file name",
    "mtime": "from the file's modification time",
    "manual": "given with --date",
}
# Notes that only say why a more trusted source was not used, and are no cause for concern.
_BENIGN_NOTES = ("no EXIF capture date", "no date in the file name")


def reason_kind(reason: str) -> str:
    """The kind of a rejection reason, without its numbers: "head turned: yaw +14.2 deg ..."
    -> "head turned", "several faces (2); the largest was measured" -> "several faces"
    (``Reason.kind``)."""
    return Reason.of(reason).kind


def date_flagged(source: str, notes: tuple[str, ...] | list[str]) -> bool:
    """Whether a capture time deserves a look: it comes from the file's modification time, or
    a date found in the file was implausible, unreadable or had an unusable offset."""
    return source == "mtime" or any(not note.startswith(_BENIGN_NOTES) for note in notes)


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of ``tracker.importing.import_photos``.

    Attributes
    ----------
    imported : tuple of int
        Ids of the photos added, in the order of the files (ok and rejected ones).
    already_there : tuple of str
        Files not added because a photo with the same content is already in the library.
    rejected : dict
        Reason kind (see ``reason_kind``) -> number of imported photos rejected for it. A photo
        can have several reasons. The full reasons are stored with each photo.
    rejected_count : int
        Number of imported photos with status "rejected".
    errors : dict
        File -> why it could not be imported (unreadable, not an image, ...). Not stored.
    ignored : int
        Files found in the folders that are not photos (by suffix, or hidden).
    date_sources : dict
        Capture time source ("exif", "filename", "mtime", "manual") -> number of imported photos.
    date_flags : dict
        File -> (source, notes) for imported photos whose capture time deserves a look
        (see ``date_flagged``).
    notes : tuple of str
        Anything else worth saying about the import (e.g. it could not use worker processes).
    other_person : dict
        Photo id -> reason, for photos (of this import or earlier ones now decided) that look
        like a different person: kept, rejected, out of every trend.
    mirrored : tuple of int
        Ids of photos found to be mirror images and read the right way round.
    """

    imported: tuple[int, ...] = ()
    already_there: tuple[str, ...] = ()
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_count: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    ignored: int = 0
    date_sources: dict[str, int] = field(default_factory=dict)
    date_flags: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    other_person: dict[int, str] = field(default_factory=dict)
    mirrored: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.errors

    def lines(self) -> list[str]:
        """The summary for people, one line per item; errors and date flags name the file.

        >>> summary = ImportSummary(imported=(1, 2), already_there=("a.jpg",), ignored=1)
        >>> for line in summary.lines():
        ...     print(line)
        Imported 2 photos (2 ok, 0 rejected).
        Already in the library (same content): 1 photo.
        Ignored 1 file that is not a photo.
        """
        n = len(self.imported)
        if n:
            lines = [
                f"Imported {plural(n, 'photo')} "
                f"({n - self.rejected_count} ok, {self.rejected_count} rejected)."
            ]
        else:
            lines = ["No new photos imported."]
        if self.already_there:
            lines.append(
                f"Already in the library (same content): "
                f"{plural(len(self.already_there), 'photo')}."
            )
        for kind, count in sorted(self.rejected.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  rejected, {kind}: {count}")
        if self.errors:
            lines.append(f"Errors: {plural(len(self.errors), 'file')} not imported:")
            lines += [f"  {file}: {reason}" for file, reason in self.errors.items()]
        if self.ignored:
            lines.append(
                f"Ignored {plural(self.ignored, 'file')} that "
                f"{'is not a photo' if self.ignored == 1 else 'are not photos'}."
            )
        if self.date_sources and set(self.date_sources) != {"exif"}:
            parts = [
                f"{count} {_SOURCE_WORDS.get(source, source)}"
                for source, count in sorted(self.date_sources.items(), key=lambda item: -item[1])
            ]
            lines.append("Capture times: " + ", ".join(parts) + ".")
        if self.date_flags:
            lines.append(f"Check the capture time of {plural(len(self.date_flags), 'photo')}:")
            for file, (source, notes) in self.date_flags.items():
                detail = "; ".join(n for n in notes if not n.startswith(_BENIGN_NOTES))
                lines.append(
                    f"  {file}: {_SOURCE_WORDS.get(source, source)}"
                    + (f" ({detail})" if detail else "")
                )
        if self.other_person:
            lines.append(
                f"Kept but left out of every trend, "
                f"{plural(len(self.other_person), 'photo')} of someone else:"
            )
            lines += [
                f"  photo {photo_id}: {reason}" for photo_id, reason in self.other_person.items()
            ]
        if self.mirrored:
            ids = ", ".join(str(i) for i in self.mirrored)
            lines.append(
                f"Mirror images read the right way round (left and right swapped "
                f"back): {plural(len(self.mirrored), 'photo')} (id {ids}); "
                f"if wrong: facetrack photos --mark-unmirrored ID"
            )
        lines += [f"Note: {note}" for note in self.notes]
        return lines


class SummaryBuilder:
    """Collects an import's outcomes file by file (mutable; ``build`` freezes it)."""

    def __init__(self) -> None:
        self.imported: list[int] = []
        self.already_there: list[str] = []
        self.rejected: Counter[str] = Counter()
        self.rejected_count = 0
        self.errors: dict[str, str] = {}
        self.ignored = 0
        self.date_sources: Counter[str] = Counter()
        self.date_flags: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.notes: list[str] = []
        self.statuses: dict[int, str] = {}
        self.other_person: dict[int, str] = {}
        self.mirrored: list[int] = []

    def settled(self, settled) -> None:
        """Take in what ``tracker.library.people.settle`` decided after the import."""
        for photo_id, reason in settled.different.items():
            self.other_person[photo_id] = reason
            if self.statuses.get(photo_id) == "ok":
                self.statuses[photo_id] = "rejected"
                self.rejected_count += 1
                self.rejected[reason_kind(reason)] += 1
        self.mirrored += settled.mirrored

    def add_imported(
        self, file: str, photo_id: int, status: str, reasons, source: str, notes
    ) -> None:
        self.imported.append(photo_id)
        self.statuses[photo_id] = status
        if status == "rejected":
            self.rejected_count += 1
            self.rejected.update({reason_kind(r) for r in reasons})
        self.date_sources[source] += 1
        if date_flagged(source, notes):
            self.date_flags[file] = (source, tuple(notes))

    def build(self) -> ImportSummary:
        return ImportSummary(
            imported=tuple(self.imported),
            already_there=tuple(self.already_there),
            rejected=dict(self.rejected),
            rejected_count=self.rejected_count,
            errors=dict(self.errors),
            ignored=self.ignored,
            date_sources=dict(self.date_sources),
            date_flags=dict(self.date_flags),
            notes=tuple(self.notes),
            other_person=dict(self.other_person),
            mirrored=tuple(self.mirrored),
        )
