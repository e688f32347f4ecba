"""The explicit, ordered list of check modules (no import magic).

A test fails when a module under ``checks/`` that defines ``CHECKS`` is missing here, when ids
repeat, or when a cited requirement does not exist in its catalog.
"""

from __future__ import annotations

from types import ModuleType

from iotbaseline.checks.base import Check

# --- group A: credentials, secrets, cryptography, communications, disclosure ---
GROUP_A: tuple[ModuleType, ...] = ()
# --- end group A ---

# --- group B: services, debug, privilege, hardening, updates, secure boot, firewall ---
GROUP_B: tuple[ModuleType, ...] = ()
# --- end group B ---

MODULES: tuple[ModuleType, ...] = GROUP_A + GROUP_B


def all_checks() -> tuple[Check, ...]:
    return tuple(c for module in MODULES for c in module.CHECKS)
