"""One version per component instance: merge a packager's snapshot name into the release a
binary states, and report (not guess) a conflict when two sources disagree.

An *instance* is what a package database entry or a file stands for. Drafts of the same
component in the same root are compared:

- a package whose version is a snapshot date (``miniupnpd 20070127``) and a binary that names
  one release (``miniupnpd/1.0``) are the same instance seen in two naming schemes: the release
  is the version, the snapshot stays in a note;
- a package version and a binary version that are both releases and differ are a conflict:
  one component with no version, a note naming each version with its source, both evidences
  kept. It is then not matched against CVEs by a guessed version (the note says so);
- one file that yields two versions of the same component is a conflict the same way.
Two binaries with different versions in different files are two instances and stay apart.
A version below the floor its own file's ELF symbol versions set (``symbol_versions``) is a
conflict the same way (``symbol_floor_conflict``).
"""

from __future__ import annotations

import re
from collections import defaultdict

from iotbaseline.model import ComponentEvidence
from iotbaseline.sbom.draft import Draft
from iotbaseline.sbom.naming import make_cpe
from iotbaseline.sbom.symbol_versions import SymbolFloor

_SNAPSHOT = re.compile(r"^(?:\d{8}|\d{4}-\d{2}-\d{2})(?:[-.].*)?$")
_BINARY_METHODS = ("signature:", "filename:")


def _is_package(ev: ComponentEvidence) -> bool:
    return ev.method.endswith(("-status", "-control", "-manifest"))


def _is_binary(ev: ComponentEvidence) -> bool:
    return ev.method.startswith(_BINARY_METHODS)


def _roots(d: Draft) -> set[str | None]:
    return {e.root for e in d.evidence}


def _where(d: Draft) -> str:
    paths = sorted({f"{e.path} ({e.method})" for e in d.evidence})
    return ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")


def _conflict(drafts: list[Draft]) -> Draft:
    first = drafts[0]
    merged = Draft(first.name, None, first.kind, first.sig)
    if first.sig and first.sig.cpe_vendor and first.sig.cpe_product:
        merged.cpe = make_cpe(first.sig.cpe_vendor, first.sig.cpe_product, None,
                              "o" if first.kind == "operating-system" else "a")
    merged.purl, merged.purl_rank = first.purl, first.purl_rank
    for d in drafts:
        for ev in d.evidence:
            merged.add(ev, "package" if _is_package(ev) else "signature")
        merged.sources |= d.sources
    merged.note("version conflict, not resolved: " + "; ".join(
        f"{d.version} from {_where(d)}" for d in sorted(drafts, key=lambda x: x.version or "")))
    merged.note("not matched against vulnerability data by a guessed version: the maker "
                "should state which version ships")
    return merged


def symbol_floor_conflict(d: Draft, floor: SymbolFloor) -> Draft:
    """A version read from strings/packages that is below what the same library's symbol
    versions require: one component with no version, both facts in the notes."""
    merged = _conflict([d])
    merged.add(floor.evidence(), "symbol-version")
    merged.notes = [n for n in merged.notes if not n.startswith("version conflict")]
    merged.notes.insert(0, f"version conflict, not resolved: {d.version} from {_where(d)}; but "
                           f"{floor.path} defines symbol version {floor.node}, so it is "
                           f"{floor.floor} or later")
    return merged


def resolve_versions(drafts: list[Draft]) -> list[Draft]:
    """Drafts with snapshot names folded into releases and disagreements merged into conflict
    drafts (version None). Kernel and build tools are decided elsewhere and pass through."""
    by_name: dict[str, list[Draft]] = defaultdict(list)
    for d in drafts:
        by_name[d.name].append(d)
    out: list[Draft] = []
    for name, group in by_name.items():
        versioned = [d for d in group if d.version is not None]
        if len({d.version for d in versioned}) < 2 or (group[0].sig and group[0].sig.special):
            out.extend(group)
            continue
        out.extend(_merge_unversioned(_resolve_group(group)))
    return out


def _merge_unversioned(drafts: list[Draft]) -> list[Draft]:
    """A conflict and a version-less find of the same component share one reference (name,
    no version): keep them as one component with all their evidence and notes."""
    unversioned = [d for d in drafts if d.version is None]
    if len(unversioned) < 2:
        return drafts
    first = unversioned[0]
    for other in unversioned[1:]:
        for ev in other.evidence:
            first.add(ev, "signature")
        first.sources |= other.sources
        for note in other.notes:
            first.note(note)
    return [d for d in drafts if d.version is not None] + [first]


def _resolve_group(group: list[Draft]) -> list[Draft]:
    packages = [d for d in group if d.version and d.evidence and all(_is_package(e) for e in d.evidence)]
    binaries = [d for d in group if d.version and any(_is_binary(e) for e in d.evidence)]
    dropped: set[int] = set()
    result: list[Draft] = []
    for p in packages:
        others = [b for b in binaries if id(b) not in dropped and b.version != p.version
                  and _roots(b) & _roots(p)]
        if not others:
            continue
        assert p.version is not None
        if _SNAPSHOT.match(p.version) and len({b.version for b in others}) == 1:
            target = others[0]
            for ev in p.evidence:
                target.add(ev, "package")
            target.note(f"package version {p.version} is a snapshot date; the binary names "
                        f"release {target.version}")
            if p.purl and p.purl_rank < target.purl_rank:
                target.purl, target.purl_rank = p.purl, p.purl_rank
            dropped.add(id(p))
            continue
        result.append(_conflict([p, *others]))
        dropped.add(id(p))
        dropped.update(id(b) for b in others)
    # one file, two versions: a conflict in that file
    by_path: dict[tuple[str | None, str], list[Draft]] = defaultdict(list)
    for b in binaries:
        if id(b) in dropped:
            continue
        for ev in b.evidence:
            if _is_binary(ev):
                by_path[(ev.root, ev.path)].append(b)
    for same_file in by_path.values():
        live = list({id(d): d for d in same_file if id(d) not in dropped}.values())
        if len({d.version for d in live}) > 1:
            result.append(_conflict(live))
            dropped.update(id(d) for d in live)
    result.extend(d for d in group if id(d) not in dropped)
    return result
