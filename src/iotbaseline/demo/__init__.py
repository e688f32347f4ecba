"""Demo inputs shipped with the package (the device profile used by `make run`)."""

from importlib import resources
from pathlib import Path


def demo_profile_path() -> Path:
    """Path of the demo camera profile (``profile-demo.yaml``) inside the installed package."""
    return Path(str(resources.files("iotbaseline.demo").joinpath("profile-demo.yaml")))
