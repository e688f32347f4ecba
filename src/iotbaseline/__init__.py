"""iotbaseline: consumer-IoT security baselines applied to firmware images and live devices."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iotbaseline")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+src"
