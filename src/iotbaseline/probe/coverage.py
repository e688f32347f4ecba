"""Requirements the live probe can evidence (filled in by the probe stage; used by
`catalog coverage`)."""

PROBE_PROVISIONS: tuple[str, ...] = ()
