"""The face engine's library (face_recognition over dlib), imported in this one place.

`face_recognition_models` locates its model files with `pkg_resources`, whose import warns
that it is deprecated. That warning is for the package's authors, not for the person typing
`hadir-edge`: exactly it is silenced here, and stderr stays for real problems.
"""

from __future__ import annotations

import functools
import warnings
from types import ModuleType


@functools.cache
def face_recognition() -> ModuleType:
    """The `face_recognition` module (dlib), imported once without the pkg_resources warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                                category=UserWarning)
        import face_recognition as fr  # type: ignore[import-untyped]
    module: ModuleType = fr
    return module
