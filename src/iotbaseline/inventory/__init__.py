"""File inventory: every file of the root filesystem(s) with kind, hashes and ELF facts."""
