"""Which product and version an image is: from the profile, else ``--product/--version``, else
what the image itself says (os-release / openwrt_release, the banner, a uImage name), else the
file name and "unknown". Reads only small text files of the extracted tree; never runs anything."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from iotbaseline.store.records import ProductIdentity

_KEY_VALUE = re.compile(r"^([A-Z_]+)=[\"']?([^\"'\n]*)[\"']?\s*$", re.M)
_VERSION_IN_TEXT = re.compile(r"\b[vV]?(\d+\.\d+(?:\.\d+)*(?:[-_.][A-Za-z0-9]+)?)\b")
_UIMAGE_NAME = re.compile(r"U-Boot uImage '([^']+)'")


def _read_small(root: Path, rel: str, limit: int = 16384) -> str | None:
    path = root / rel.lstrip("/")
    try:
        # the tree is attacker-made: a symlink could point anywhere on this machine
        if path.is_symlink() or not path.is_file() or root.resolve() not in path.resolve().parents:
            return None
        with path.open("rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _from_tree(root: Path) -> tuple[str | None, str | None, str] | None:
    for rel, name_key, version_keys in (
            ("/etc/openwrt_release", "DISTRIB_ID", ("DISTRIB_RELEASE", "DISTRIB_DESCRIPTION")),
            ("/etc/os-release", "NAME", ("VERSION_ID", "VERSION")),
            ("/usr/lib/os-release", "NAME", ("VERSION_ID", "VERSION"))):
        text = _read_small(root, rel)
        if text:
            values = dict(_KEY_VALUE.findall(text))
            # a release may be a code name ("Chaos Calmer"): the first field with a number wins
            numbered = (_VERSION_IN_TEXT.search(values.get(k, "")) for k in version_keys)
            version = next((m.group(1) for m in numbered if m), None) or values.get(version_keys[0])
            if values.get(name_key) or version:
                return values.get(name_key) or None, version or None, f"image:{rel}"
    banner = _read_small(root, "/etc/banner", 4096)
    if banner:
        match = _VERSION_IN_TEXT.search(banner)
        if match:
            return None, match.group(1), "image:/etc/banner"
    return None


def from_image(doc: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(product, version, source) from the extracted tree and extraction notes of a scan."""
    extraction = doc.get("extraction") or {}
    for root in extraction.get("roots", []):
        found = _from_tree(Path(root["path"]))
        if found:
            return found
    for chunk in extraction.get("chunks", []):
        match = _UIMAGE_NAME.search(chunk.get("note", ""))
        if match:
            name = match.group(1).strip()
            version = _VERSION_IN_TEXT.search(name)
            return name, version.group(1) if version else None, "image:uImage name"
    return None, None, ""


def identify(doc: dict[str, Any], image: Path, product: str | None = None,
             version: str | None = None) -> ProductIdentity:
    declared = ((doc.get("profile") or {}).get("product")) or {}
    image_product, image_version, image_source = from_image(doc)
    sources: list[str] = []
    model = declared.get("model") or declared.get("name")
    if model:
        sources.append("profile")
    elif product:
        model = product
        sources.append("cli")
    elif image_product:
        model = image_product
        sources.append(image_source)
    else:
        model = image.stem
        sources.append("file name")
    found_version = declared.get("firmware_version")
    if found_version:
        sources.append("profile")
    elif version:
        found_version = version
        sources.append("cli")
    elif image_version:
        found_version = image_version
        sources.append(image_source)
    else:
        found_version = "unknown"
    return ProductIdentity(
        model=str(model), version=str(found_version), vendor=str(declared.get("vendor") or ""),
        category=str(declared.get("category") or "other"),
        source=" / ".join(dict.fromkeys(sources)),
    )
