"""`iotbaseline sbom PATH -o FILE`: components (and known CVEs) of a firmware as CycloneDX/SPDX."""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from iotbaseline.cli.common import EXIT_USAGE, stage
from iotbaseline.model import Component, Target

if TYPE_CHECKING:
    from iotbaseline.inventory.index import FileIndex


@click.command(name="sbom")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write the SBOM to ('-' for standard output).")
@click.option("--format", "fmt", type=click.Choice(["cyclonedx", "spdx"]), default="cyclonedx",
              show_default=True, help="CycloneDX 1.6 JSON or SPDX 2.3 JSON.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Vulnerability database (default: $IOTBASELINE_DB or the user data directory).")
@click.option("--no-vulns", is_flag=True, help="Do not look up known vulnerabilities.")
@click.option("--name", "firmware_name", default=None, help="Name of the firmware in the SBOM.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to unpack an image (default: a temporary directory, removed afterwards).")
def command(path: Path, output: Path, fmt: str, db_path: Path | None, no_vulns: bool,
            firmware_name: str | None, work_dir: Path | None) -> None:
    """Write the software bill of materials of PATH (an unpacked root directory or an image)."""
    if path.is_dir():
        components, index = _components_of_directory(path)
        target = Target(name=path.name or str(path), kind="directory", path=str(path))
    else:
        target = Target(name=path.name, kind="image", path=str(path), sha256=_sha256(path),
                        size=path.stat().st_size)
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
            components, index = _components_of_image(path, work_dir)
            if not no_vulns:
                components = _attach_vulnerabilities(components, db_path, index)
        else:
            with tempfile.TemporaryDirectory(prefix="iotbaseline-sbom-") as tmp:
                components, index = _components_of_image(path, Path(tmp))
                if not no_vulns:  # while the unpacked tree (and its kernel config) still exists
                    components = _attach_vulnerabilities(components, db_path, index)
    if path.is_dir() and not no_vulns:
        components = _attach_vulnerabilities(components, db_path, index)
    with stage(f"writing {fmt}"):
        if fmt == "spdx":
            from iotbaseline.sbom.spdx import render_spdx

            text = render_spdx(components, target, firmware_name=firmware_name)
        else:
            from iotbaseline.sbom.cyclonedx import render_cyclonedx

            text = render_cyclonedx(components, target, firmware_name=firmware_name, indent=2)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    runtime = [c for c in components if c.kind != "build-tool"]
    vulns = sum(len(c.vulnerabilities) for c in runtime)
    click.echo(f"iotbaseline: {len(runtime)} components, {vulns} vulnerabilities -> {output}", err=True)


def _components_of_directory(path: Path) -> tuple[list[Component], FileIndex]:
    from iotbaseline.inventory.index import FileIndex
    from iotbaseline.sbom.identify import identify_components

    with stage("indexing"):
        index = FileIndex.from_directory(path)
    with stage("identifying components"):
        return identify_components(index), index


def _components_of_image(path: Path, work_dir: Path) -> tuple[list[Component], FileIndex]:
    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.index import FileIndex
    from iotbaseline.sbom.identify import identify_components

    try:
        from iotbaseline.extract import extract_image
    except ImportError as exc:  # the extract stage is missing from this installation
        raise click.ClickException(f"cannot unpack images here ({exc}); pass an unpacked root directory") from exc
    with stage("extracting"):
        try:
            result = extract_image(path, work_dir)
        except Exception as exc:  # the extractor's own error types; shown, not hidden
            raise click.ClickException(f"{path}: cannot extract ({exc})") from exc
    for err in result.errors:
        click.echo(f"iotbaseline: extraction: {err.stage}: {err.message}", err=True)
    with stage("indexing"):
        index = FileIndex(build_inventory(list(result.roots)), flat_images=list(result.flat_images))
    with stage("identifying components"):
        # the image itself carries the kernel (uImage / LZMA after a vendor header); without a
        # root file system the banner in the image or a carved blob is still read
        components = identify_components(index, extra_blobs=[path])
    if not components and not result.roots and not result.flat_images:
        raise click.ClickException(f"{path}: no root filesystem and no component found")
    return components, index


def _attach_vulnerabilities(components: list[Component], db_path: Path | None,
                            index: FileIndex) -> list[Component]:
    try:
        from iotbaseline.vulns.db import VulnDatabase, default_db_path
        from iotbaseline.vulns.matcher import match_components
    except ImportError as exc:
        click.echo(f"iotbaseline: vulnerability matching is not available ({exc}); "
                   "writing the SBOM without vulnerabilities", err=True)
        return components
    path = db_path or default_db_path()
    if not path.exists():
        if db_path is not None:
            click.echo(f"iotbaseline: no vulnerability database at {path}", err=True)
            raise SystemExit(EXIT_USAGE)
        click.echo(f"iotbaseline: no vulnerability database at {path} (run 'iotbaseline db import' "
                   "or 'iotbaseline db update'); writing the SBOM without vulnerabilities", err=True)
        return components
    from iotbaseline.sbom.identify import runtime_components

    kernel_config = None
    try:  # the kernel configuration found in the image marks CVEs of left-out subsystems
        from iotbaseline.vulns.kernel import read_kernel_config

        kernel_config = read_kernel_config(index)
    except ImportError:
        pass
    with stage("matching vulnerabilities"):
        db = VulnDatabase.open(path)
        try:
            runtime = match_components(runtime_components(components), db, kernel_config=kernel_config)
        finally:
            db.close()
    build = [c for c in components if c.kind == "build-tool"]
    return list(runtime) + build


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
