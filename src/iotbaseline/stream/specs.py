"""The stream stage's one check: camera media must not travel in the clear."""

from __future__ import annotations

from iotbaseline.checks.base import CheckSpec
from iotbaseline.model import Severity

STREAM_CLEAR = CheckSpec(
    id="IOTB-STREAM-001",
    title="Camera audio or video readable in transit",
    severity=Severity.HIGH,
    rationale="Video and sound from inside a home are sensitive personal data; a stream whose "
              "pictures decode from the captured bytes can be watched by anyone on the path.",
    remedy="Carry media over TLS/DTLS/SRTP, or encrypt every frame (for instance with the "
           "sample-encryption pattern) with keys per device.",
    provisions=("etsi-en-303-645:5.5-1", "etsi-en-303-645:5.8-1", "etsi-en-303-645:5.8-2",
                "xiaomi-2.0:4.2.1", "xiaomi-2.0:4.2.2", "tencent-qtx-001.1:5.1.6-3",
                "owasp-isvs:V4.1.1", "owasp-isvs:V4.2.1"),
    applies_to="any", cwe=(319,), tags=("stream",),
)
