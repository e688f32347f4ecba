"""The images a batch names: files, directories of images (recursively), ``@list.txt`` files
(one path a line, optionally ``<TAB>product<TAB>version``; ``#`` comments)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BatchInputError(ValueError):
    """An input names nothing usable (missing path, unreadable list)."""


@dataclass(frozen=True)
class ImageInput:
    path: Path
    product: str | None = None
    version: str | None = None


def _from_list(list_file: Path) -> list[ImageInput]:
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"{list_file}: cannot read the list ({exc})") from exc
    found: list[ImageInput] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        path = Path(fields[0]).expanduser()
        if not path.is_absolute():
            path = list_file.parent / path
        if not path.exists():
            raise BatchInputError(f"{list_file}:{number}: {fields[0]}: no such file or directory")
        extra = fields[1:] + [""] * 2
        for item in _expand(path):
            found.append(ImageInput(item.path, extra[0] or None, extra[1] or None))
    return found


def _expand(path: Path) -> list[ImageInput]:
    if path.is_dir():
        return [ImageInput(p) for p in sorted(path.rglob("*"))
                if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
                and p.name not in ("GROUND_TRUTH.md", "README.md", "LICENSE", "MANIFEST.tsv")]
    return [ImageInput(path)]


def expand_inputs(items: list[str], product: str | None = None, version: str | None = None) -> list[ImageInput]:
    """Every image the arguments name, each once, in the order given."""
    found: list[ImageInput] = []
    for item in items:
        if item.startswith("@"):
            found.extend(_from_list(Path(item[1:]).expanduser()))
            continue
        path = Path(item).expanduser()
        if not path.exists():
            raise BatchInputError(f"{item}: no such file or directory")
        found.extend(_expand(path))
    seen: set[Path] = set()
    unique: list[ImageInput] = []
    for entry in found:
        resolved = entry.path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(ImageInput(resolved, entry.product or product, entry.version or version))
    return unique
