"""Pure-Python SquashFS 2/3/4 reader and extractor (see docs/extraction.md)."""
