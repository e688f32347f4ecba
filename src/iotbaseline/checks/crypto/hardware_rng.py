"""Hardware randomness and crypto engines (white paper 1.3): /dev/hwrng fed to the kernel pool
(rngd), hw_random drivers, vendor crypto drivers or secure elements loaded by the image.
Absence is a low-confidence "not found" (INCONCLUSIVE), never FAIL."""

from __future__ import annotations

import posixpath
import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.checks.updates.camera_practices import camera_soc
from iotbaseline.model import Evidence, Severity

# kernel modules / libraries of RNGs, crypto engines and secure elements on camera SoCs
_HW_MODULE = re.compile(r"^(\w*rng\w*\.ko|hw_random\w*\.ko|hw_?crypto\w*\.ko|hi_cipher\w*\.ko|"
                        r"\w*_cipher\.ko|encript\w*\.ko|ak_crypto\w*\.ko|\w*crypto_engine\w*\.ko|"
                        r"libcryptoauth\w*\.so[.\d]*|libse05\d\w*\.so[.\d]*|libatecc\w*\.so[.\d]*)$",
                        re.IGNORECASE)
_HW_USE = re.compile(r"(/dev/hwrng|\brngd\b|\binsmod\b[^\n]*\b(\w*rng\w*|hw_?crypto\w*|"
                     r"\w*cipher\w*|encript\w*)\.ko)", re.IGNORECASE)


@check(CheckSpec(
    id="IOTB-RNG-002",
    title="No hardware random-number generator or crypto engine in use",
    severity=Severity.LOW,
    rationale="Keys and nonces made on a camera right after boot need real entropy; a hardware "
              "RNG or crypto chip provides it and keeps keys out of reach of software.",
    remedy="Feed the kernel pool from the SoC's hardware RNG (hw_random driver, rngd) or use a "
           "secure element for keys and randomness.",
    provisions=provisions(xiaomi=("5.2",), tencent=("5.1.4-3",)),
    cwe=(338,),
))
def find_no_hardware_rng(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    modules = [e for e in ctx.index.iter() if _HW_MODULE.match(posixpath.basename(e.path))]
    for entry in ctx.index.iter():
        if entry.kind not in ("script", "text") or entry.size >= (1 << 20):
            continue
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if not line.lstrip().startswith("#") and _HW_USE.search(line):
                report.examined.append(Evidence(kind="file", ref=entry.path, line=number,
                                                sha256=entry.sha256, excerpt=line.strip()[:200],
                                                detail="loads or uses a hardware RNG / crypto "
                                                       "driver"))
    if report.examined:
        report.summary = "hardware RNG or crypto engine used: " + ", ".join(
            f"{e.ref}:{e.line}" for e in report.examined[:3])
        return report
    if not modules and camera_soc(ctx) is None:  # the white paper's practice: cameras only
        report.not_applicable = ("no hardware RNG or crypto driver visible, and no camera SoC "
                                 "named in the image to ask it of")
        return report
    shipped = ", ".join(m.path for m in modules[:3])
    report.hits.append(Hit(
        message=("Hardware RNG / crypto drivers are shipped (" + shipped + ") but nothing in the "
                 "image's scripts loads or uses them. " if modules else
                 "No hardware RNG, crypto engine or secure element is visible. ")
                + "Ask the maker where keys and random numbers come from.",
        path=modules[0].path if modules else None, confidence="low",
        properties={"absence": True}))
    return report


CHECKS = (find_no_hardware_rng,)
