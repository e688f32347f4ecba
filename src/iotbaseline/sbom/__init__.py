"""sbom stage."""
