"""Extract stage: firmware image, archive, HEX/S-record or directory → root filesystem(s).

Public interface: ``extract_image`` (see ``pipeline``), ``Limits``, ``ExtractError``, and
``load_modes``/``modes_path`` for the per-root ``modes.json`` sidecar (see ``modes``).
"""

from iotbaseline.extract.limits import Limits
from iotbaseline.extract.modes import load_modes, modes_path
from iotbaseline.extract.pipeline import ExtractError, extract_image

__all__ = ["ExtractError", "Limits", "extract_image", "load_modes", "modes_path"]
