"""Which configuration files the device actually uses (issue 10, class 3).

A config, key or credential file is the device's own setting only when something started at boot
uses it: a started program names it on its command line or in its strings (its built-in default
path), or a script that boot follows reads, copies or generates it. SDK samples and templates
nothing refers to (an unused hostapd.conf with a PSK, a `CHANGE_ME` sample) are reported at most
as a low-severity "unused file ships a secret", never as the device's setting.

Matching is by full path first, then by file name where the name is specific enough (scripts
often build paths from variables: `cp $TARGET/conf/hostapd8188.conf ...`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import Enum

from iotbaseline.analysis.boot import boot_model, started_services
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import blob_strings, text_files

# names too generic to tie a reference to one file
_GENERIC = frozenset({"config", "conf", "default", "defaults", "settings", "data", "init", "rc",
                      "run", "start", "options", "profile"})
_WORD = re.compile(r"[\w.\-]+")


class Use(Enum):
    USED = "used"  # a started program or a followed script refers to it
    UNUSED = "unused"  # boot is understood and nothing started refers to it
    UNKNOWN = "unknown"  # no boot model (nothing recognised as started): cannot tell


@dataclass(frozen=True)
class Reachability:
    paths: frozenset[str]  # absolute paths named by what boot runs
    names: frozenset[str]  # file names named by what boot runs
    understood: bool  # the boot model found started services or followed scripts

    def use(self, path: str) -> Use:
        if not self.understood:
            return Use.UNKNOWN
        name = posixpath.basename(path)
        if path in self.paths:
            return Use.USED
        stem = name.rsplit(".", 1)[0].lower()
        if name in self.names and stem not in _GENERIC and "." in name:
            return Use.USED
        return Use.UNUSED


def _compute(ctx: CheckContext) -> Reachability:
    model = boot_model(ctx)
    services = [s for s in started_services(ctx) if s.enabled]
    scripts = set(model.scripts) | {s.source for s in services}
    paths: set[str] = set()
    names: set[str] = set()

    def note(text: str) -> None:
        for word in _WORD.findall(text):
            names.add(posixpath.basename(word))
        for m in re.finditer(r"/[\w.\-/]+", text):
            paths.add(posixpath.normpath(m.group(0)))

    for service in services:
        note(" ".join(service.argv))
    for tf in text_files(ctx):
        if tf.path in scripts:
            note(tf.text)
    binaries = {s.binary for s in services if s.binary}
    for bs in blob_strings(ctx):
        if bs.blob.name in binaries:
            note(bs.joined)
    return Reachability(frozenset(paths), frozenset(names), understood=bool(services or scripts))


def reachability(ctx: CheckContext) -> Reachability:
    """What boot runs refers to (computed once per run)."""
    result: Reachability = ctx.fact("analysis.reachability", _compute)
    return result
