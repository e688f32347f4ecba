"""Updates and boot: the update path and the secure-boot chain."""
