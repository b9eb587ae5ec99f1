"""The dance lab's engine: pure Python + numpy (PyAV to decode, Pillow to draw), no Django.

    frames = frames_from_video(upload_bytes, fps=10)          # -> [Frame(timestamp, jpeg, width, height)]
    # … the frames' JPEGs go through a pose job (pose_protocol.md) …
    take = PoseTrack.from_pose_frames(frames, result["frames"], model=result["model"])
    result = compare(reference, take, bpm=120)                 # -> DanceComparison (to_dict / to_json)
    png = overlay_png(frames[w.take_frame].jpeg, reference.keypoints[w.reference_frame],
                      take.keypoints[w.take_frame], reference_size=(reference.width, reference.height),
                      part=w.part)                             # for each w in result.weakest

Every function raises DanceInputError (a ValueError whose `field` names the bad argument) for
input it cannot use.
"""

from .compare import BeatScore, DanceComparison, WeakSegment, compare
from .errors import DanceInputError
from .overlay import overlay_png
from .pose import ANGLE_NAMES, PARTS, JointAngles, PoseTrack, joint_angles, normalise
from .video import MAX_FRAMES, Frame, frames_from_video

__all__ = [
    "ANGLE_NAMES",
    "MAX_FRAMES",
    "PARTS",
    "BeatScore",
    "DanceComparison",
    "DanceInputError",
    "Frame",
    "JointAngles",
    "PoseTrack",
    "WeakSegment",
    "compare",
    "frames_from_video",
    "joint_angles",
    "normalise",
    "overlay_png",
]
