"""Shared understanding of an image, built once beside the inventory and read by the checks.

What boot starts (the boot model), which files a started program uses (reachability), which
partition is mounted where, and what platform the image is (Linux, an RTOS, bare metal).
"""
