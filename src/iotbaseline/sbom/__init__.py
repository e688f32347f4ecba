"""SBOM stage: identify the software components in a firmware and write them as CycloneDX/SPDX.

``identify.identify_components(index)`` is the entry point; ``cyclonedx.render_cyclonedx`` and
``spdx.render_spdx`` turn the components into documents.
"""


class SbomError(Exception):
    """Base error of the SBOM stage (bad signature data, unwritable document)."""
