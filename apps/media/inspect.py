"""What a stored file really is: its bytes (magic numbers) first, then a libavformat probe
for audio, video and images. Never the extension or the declared Content-Type: those
are only compared with what the bytes say, and a mismatch is a refusal.

The probe is libavformat either way: the `ffprobe` binary when it is on PATH (or
MEDIA_FFPROBE), else PyAV (`av`, the same libraries linked into a wheel, already
installed for faster-whisper). Both report the container, its streams and their
dimensions; the duration is *measured* by demuxing every packet (PyAV) or by
`-count_packets`-free packet timestamps (ffprobe `-show_packets` would be slow, so the
binary path reads the container's duration and the streams', then PyAV's demux check
runs anyway when the container declares none). A container that declares hours in a few
kilobytes, hundreds of streams or 50,000-pixel frames is refused before anything decodes
a frame.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

# kind → the containers it accepts and the Content-Type each one is stored as.
ACCEPTED = {
    "voice": {
        "webm": "audio/webm",
        "matroska": "audio/webm",
        "ogg": "audio/ogg",
        "mp4": "audio/mp4",
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "flac": "audio/flac",
    },
    "video": {"webm": "video/webm", "matroska": "video/x-matroska", "mp4": "video/mp4", "mov": "video/quicktime"},
    "image": {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"},
    "attachment": {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"},
    "json": {"json": "application/json"},
}

# Declared Content-Types (parameters stripped) → the containers they may name.
DECLARED = {
    "audio/webm": {"webm", "matroska"},
    "video/webm": {"webm", "matroska"},
    "video/x-matroska": {"webm", "matroska"},
    "audio/ogg": {"ogg"},
    "audio/opus": {"ogg"},
    "audio/mp4": {"mp4", "mov"},
    "audio/x-m4a": {"mp4", "mov"},
    "audio/aac": {"mp4"},
    "video/mp4": {"mp4", "mov"},
    "video/quicktime": {"mov", "mp4"},
    "audio/wav": {"wav"},
    "audio/x-wav": {"wav"},
    "audio/wave": {"wav"},
    "audio/mpeg": {"mp3"},
    "audio/mp3": {"mp3"},
    "audio/flac": {"flac"},
    "audio/x-flac": {"flac"},
    "image/png": {"png"},
    "image/jpeg": {"jpeg"},
    "image/webp": {"webp"},
    "image/gif": {"gif"},
    "application/pdf": {"pdf"},
    "application/json": {"json"},
}

# Extensions → the containers they may name. A key with another extension is refused; a
# key without one is judged by its bytes alone.
EXTENSIONS = {
    "webm": {"webm", "matroska"},
    "weba": {"webm", "matroska"},
    "mkv": {"webm", "matroska"},
    "mka": {"webm", "matroska"},
    "ogg": {"ogg"},
    "oga": {"ogg"},
    "opus": {"ogg"},
    "mp4": {"mp4", "mov"},
    "m4a": {"mp4", "mov"},
    "m4v": {"mp4", "mov"},
    "mov": {"mov", "mp4"},
    "wav": {"wav"},
    "mp3": {"mp3"},
    "flac": {"flac"},
    "png": {"png"},
    "jpg": {"jpeg"},
    "jpeg": {"jpeg"},
    "webp": {"webp"},
    "gif": {"gif"},
    "pdf": {"pdf"},
    "json": {"json"},
}

# What a few compressed or executable formats look like: named in the refusal, never accepted.
_REFUSED_MAGIC = [
    (b"PK\x03\x04", _lazy("a zip archive")),
    (b"PK\x05\x06", _lazy("a zip archive")),
    (b"\x1f\x8b", _lazy("gzip-compressed data")),
    (b"BZh", _lazy("bzip2-compressed data")),
    (b"\xfd7zXZ\x00", _lazy("xz-compressed data")),
    (b"7z\xbc\xaf\x27\x1c", _lazy("a 7-Zip archive")),
    (b"\x28\xb5\x2f\xfd", _lazy("zstd-compressed data")),
    (b"Rar!", _lazy("a RAR archive")),
    (b"MZ", _lazy("a Windows executable")),
    (b"\x7fELF", _lazy("an ELF executable")),
]

# Limits of what a probe accepts, by kind (seconds, streams, pixels per side, pixels).
MAX_SECONDS = {"voice": 600.0, "video": 600.0}
MAX_STREAMS = 4
MAX_SIDE = {"video": 4096, "image": 10_000, "attachment": 10_000}
MAX_PIXELS = {"video": 4096 * 2304, "image": 40_000_000, "attachment": 40_000_000}
MAX_FPS = 240
# Demuxing stops after this many packets: 10 minutes at 240 fps with audio is well under.
MAX_PACKETS = 400_000


class Refused(ValueError):
    """The file is not what it must be; the message says why, for the uploader."""


@dataclass
class Report:
    container: str
    content_type: str
    duration_seconds: float | None = None
    streams: list[dict] = field(default_factory=list)
    prober: str = ""


def sniff(head: bytes) -> str | None:
    """The container named by the first bytes, or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType element (0x4282) says webm or matroska.
        window = head[:64]
        return "webm" if b"\x42\x82" in window and b"webm" in window else "matroska"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "mov" if brand == b"qt  " else "mp4"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2, 0xFA)):
        return "mp3"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    stripped = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    if stripped[:1] in (b"{", b"["):
        return "json"
    return None


def kind_name(kind: str) -> str:
    from .models import Kind

    return str(Kind(kind).label) if kind in Kind.values else kind


def describe_bytes(head: bytes) -> str:
    for magic, name in _REFUSED_MAGIC:
        if head.startswith(magic):
            return str(name)
    return str(_lazy("an unrecognised format"))


def base_type(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


# The declared types' families by kind: a voice take is declared audio/…, never video/….
FAMILIES = {
    "voice": ("audio/",),
    "video": ("video/",),
    "image": ("image/",),
    "attachment": ("image/", "application/pdf"),
    "json": ("application/json",),
}


def accepted_types(kind: str) -> list[str]:
    """The Content-Types an upload of `kind` may be declared as."""
    containers = set(ACCEPTED[kind])
    return sorted(t for t, names in DECLARED.items() if names & containers and t.startswith(FAMILIES[kind]))


def check_claims(kind: str, container: str, *, key: str, content_type: str | None) -> None:
    """The bytes' container against the kind, the declared Content-Type and the extension."""
    accepted = ACCEPTED[kind]
    if container not in accepted:
        raise Refused(
            _("The file is %(found)s data; %(kind)s uploads must be one of %(accepted)s.")
            % {
                "found": container.upper(),
                "kind": kind_name(kind),
                "accepted": ", ".join(sorted(set(accepted.values()))),
            }
        )
    if content_type:
        declared = base_type(content_type)
        if container not in DECLARED.get(declared, set()) or declared not in accepted_types(kind):
            raise Refused(
                _("The file was declared as %(declared)s but its bytes are %(found)s data.")
                % {"declared": declared, "found": container.upper()}
            )
    name = key.rsplit("/", 1)[-1]
    if "." in name:
        extension = name.rsplit(".", 1)[-1].lower()
        if container not in EXTENSIONS.get(extension, set()):
            raise Refused(
                _("The file is named .%(extension)s but its bytes are %(found)s data.")
                % {"extension": extension, "found": container.upper()}
            )


def inspect_file(kind: str, path: str, *, size: int, key: str, content_type: str | None = None) -> Report:
    """Check the file at `path` for `kind`; a Report of what it is, or Refused."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        raise Refused(_("The file is empty."))
    container = sniff(head)
    if container is None:
        raise Refused(
            _("The file is %(found)s, not an accepted %(kind)s format.")
            % {"found": describe_bytes(head), "kind": kind_name(kind)}
        )
    check_claims(kind, container, key=key, content_type=content_type)
    report = Report(container=container, content_type=ACCEPTED[kind][container])
    if container == "json":
        _check_json(path)
    elif container == "pdf":
        _check_pdf(path, size)
    else:
        _check_declared_picture(kind, container, head)
        _probe(kind, path, size, report)
    return report


def _check_declared_picture(kind: str, container: str, head: bytes) -> None:
    """PNG and GIF say their size in the header: a decompression bomb (a few hundred bytes
    declaring gigapixels) is refused on that alone, before any decoder sees it."""
    import struct

    if container == "png" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
    elif container == "gif" and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
    else:
        return
    _check_picture(kind, width, height)


def _check_picture(kind: str, width: int, height: int) -> None:
    side, pixels = MAX_SIDE.get(kind, 4096), MAX_PIXELS.get(kind, 4096 * 2304)
    if max(width, height) > side or width * height > pixels:
        raise Refused(
            _(
                "The picture is %(width)d×%(height)d pixels; at most %(side)d pixels a side and "
                "%(mp)d megapixels are accepted."
            )
            % {"width": width, "height": height, "side": side, "mp": pixels // 1_000_000}
        )


def _check_json(path: str) -> None:
    from apps.core.jsondepth import depth_exceeds

    with open(path, "rb") as handle:
        raw = handle.read()
    if depth_exceeds(raw):
        raise Refused(_("The JSON file is nested too deeply."))
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(_("The file is not valid JSON (%(error)s).") % {"error": exc}) from None


def _check_pdf(path: str, size: int) -> None:
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise Refused(_("The PDF file is truncated (no end-of-file marker)."))


# ---------------------------------------------------------------------------- probing


def prober() -> str:
    """ "ffprobe" when the binary is there, else "pyav"."""
    return "ffprobe" if _ffprobe_path() else "pyav"


def _ffprobe_path() -> str | None:
    configured = getattr(settings, "MEDIA_FFPROBE", "")
    if configured:
        return configured if shutil.which(configured) else None
    return shutil.which("ffprobe")


def _probe(kind: str, path: str, size: int, report: Report) -> None:
    binary = _ffprobe_path()
    if binary:
        streams, declared = _ffprobe_streams(binary, path)
        report.prober = "ffprobe"
    else:
        streams, declared = _pyav_streams(path)
        report.prober = "pyav"
    _check_streams(kind, streams)
    report.streams = streams
    if kind in MAX_SECONDS:
        limit = MAX_SECONDS[kind]
        if declared is not None and declared > limit:
            raise Refused(
                _(
                    "The file declares %(declared)d seconds of media in %(size)d bytes; "
                    "at most %(limit)d seconds are accepted."
                )
                % {"declared": declared, "size": size, "limit": limit}
            )
        measured = _measured_duration(path, limit)
        if measured <= 0:
            raise Refused(_("The file holds no media packets."))
        # A header claiming far more than the packets hold is a lie meant for whatever
        # trusts it (players allocating for it, a progress bar, a billing by length).
        if declared is not None and declared > 2 * measured + 5:
            raise Refused(
                _("The file declares %(declared)d seconds of media but holds %(measured).1f seconds.")
                % {"declared": declared, "measured": measured}
            )
        report.duration_seconds = round(measured, 3)


def _ffprobe_streams(binary: str, path: str) -> tuple[list[dict], float | None]:
    result = subprocess.run(  # noqa: S603 (the configured ffprobe, on a file we wrote)
        [binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise Refused(
            _("The media could not be read (%(error)s).") % {"error": result.stderr.strip()[:200] or "ffprobe"}
        )
    data = json.loads(result.stdout or "{}")
    streams = []
    for s in data.get("streams", []):
        rate = s.get("avg_frame_rate") or "0/1"
        streams.append(
            _stream(
                s.get("codec_type") or "unknown",
                s.get("codec_name") or "",
                width=s.get("width"),
                height=s.get("height"),
                sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
                channels=s.get("channels"),
                fps=float(Fraction(rate)) if rate != "0/0" else None,
                attached=bool((s.get("disposition") or {}).get("attached_pic")),
            )
        )
    duration = (data.get("format") or {}).get("duration")
    return streams, float(duration) if duration else None


def _pyav_streams(path: str) -> tuple[list[dict], float | None]:
    import av

    try:
        with av.open(path, mode="r", metadata_errors="ignore") as container:
            streams = []
            for s in container.streams:
                ctx = s.codec_context
                rate = getattr(s, "average_rate", None)
                streams.append(
                    _stream(
                        s.type,
                        ctx.name if ctx is not None else "",
                        width=getattr(ctx, "width", None) if s.type == "video" else None,
                        height=getattr(ctx, "height", None) if s.type == "video" else None,
                        sample_rate=getattr(ctx, "sample_rate", None) if s.type == "audio" else None,
                        channels=getattr(ctx, "channels", None) if s.type == "audio" else None,
                        fps=float(rate) if rate else None,
                        attached=bool(s.disposition & av.stream.Disposition.attached_pic)
                        if hasattr(av.stream, "Disposition")
                        else False,
                    )
                )
            declared = container.duration / 1_000_000 if container.duration else None
    except av.FFmpegError as exc:
        raise Refused(_("The media could not be read (%(error)s).") % {"error": exc.strerror or exc}) from None
    return streams, declared


def _stream(kind: str, codec: str, **facts) -> dict:
    return {"type": kind, "codec": codec, **{k: v for k, v in facts.items() if v not in (None, False)}}


def _check_streams(kind: str, streams: list[dict]) -> None:
    if len(streams) > MAX_STREAMS:
        raise Refused(
            _("The file has %(count)d streams; at most %(max)d are accepted.")
            % {"count": len(streams), "max": MAX_STREAMS}
        )
    audio = [s for s in streams if s["type"] == "audio"]
    video = [s for s in streams if s["type"] == "video" and not s.get("attached")]
    if kind == "voice":
        if not audio:
            raise Refused(_("The file has no audio stream."))
        if video:
            raise Refused(_("A voice upload must be audio only; this file has a video stream."))
    elif kind == "video":
        if not video:
            raise Refused(_("The file has no video stream."))
    elif kind in ("image", "attachment") and (len(video) != 1 or audio):
        raise Refused(_("The image could not be read as one picture."))
    for s in video:
        width, height = s.get("width") or 0, s.get("height") or 0
        if width <= 0 or height <= 0:
            # libavcodec leaves out dimensions it will not allocate (past INT_MAX bytes).
            raise Refused(_("The picture's dimensions could not be read, or are too large."))
        _check_picture(kind, width, height)
        if kind == "video" and (s.get("fps") or 0) > MAX_FPS:
            raise Refused(
                _("The video declares %(fps)d frames a second; at most %(max)d are accepted.")
                % {"fps": s["fps"], "max": MAX_FPS}
            )


def _measured_duration(path: str, limit: float) -> float:
    """The duration by the packets' own timestamps (not the header's claim), stopping as
    soon as it passes `limit` or MAX_PACKETS."""
    import av

    end = 0.0
    start: float | None = None
    packets = 0
    try:
        with av.open(path, mode="r", metadata_errors="ignore") as container:
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                packets += 1
                if packets > MAX_PACKETS:
                    raise Refused(_("The file has more than %(max)d packets.") % {"max": MAX_PACKETS})
                at = float(packet.pts * packet.time_base)
                length = float((packet.duration or 0) * packet.time_base)
                start = at if start is None else min(start, at)
                end = max(end, at + length)
                if end - start > limit:
                    raise Refused(
                        _("The media is longer than %(limit)d seconds, the most accepted.") % {"limit": limit}
                    )
    except av.FFmpegError as exc:
        raise Refused(_("The media could not be read (%(error)s).") % {"error": exc.strerror or exc}) from None
    return end - (start or 0.0)
