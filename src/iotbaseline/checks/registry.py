"""The explicit, ordered list of check modules, grouped by concern (no import magic).

A test fails when a module under ``checks/`` that defines ``CHECKS`` is missing here, when ids
repeat, or when a cited requirement does not exist in its catalog. Adding a check: write its
module in the package of its concern and add the module to that concern's tuple below.
"""

from __future__ import annotations

from types import ModuleType

from iotbaseline.checks.base import Check
from iotbaseline.checks.credentials import (
    accounts,
    boot_accounts,
    compiled_defaults,
    config_passwords,
    flat_image,
    web_accounts,
)
from iotbaseline.checks.crypto import hardware_rng, transport, weak_crypto, weak_random, wifi
from iotbaseline.checks.hardening import aslr, daemon_privilege, elf_hardening, file_permissions
from iotbaseline.checks.privacy import (
    disclosure,
    factory_reset,
    log_secrets,
    stored_data_encryption,
    telemetry,
)
from iotbaseline.checks.secrets import certificates, private_keys, tokens
from iotbaseline.checks.services import (
    android_props,
    debug_console,
    firewall,
    hotspot_bridge,
    login_paths,
    management,
    remote_access,
)
from iotbaseline.checks.updates import camera_practices, secure_boot, update_path

CREDENTIALS: tuple[ModuleType, ...] = (accounts, config_passwords, flat_image, web_accounts,
                                        compiled_defaults, boot_accounts)
SECRETS: tuple[ModuleType, ...] = (private_keys, certificates, tokens)
CRYPTO_AND_COMMUNICATIONS: tuple[ModuleType, ...] = (weak_crypto, transport, wifi, weak_random,
                                                        hardware_rng)
SERVICES_AND_DEBUG: tuple[ModuleType, ...] = (
    remote_access,
    login_paths,
    management,
    debug_console,
    android_props,
    firewall,
    hotspot_bridge,
)
UPDATES_AND_BOOT: tuple[ModuleType, ...] = (update_path, secure_boot, camera_practices)
HARDENING: tuple[ModuleType, ...] = (elf_hardening, aslr, daemon_privilege, file_permissions)
PRIVACY_AND_DATA: tuple[ModuleType, ...] = (factory_reset, log_secrets, telemetry, disclosure,
                                                stored_data_encryption)

GROUPS: dict[str, tuple[ModuleType, ...]] = {
    "credentials": CREDENTIALS,
    "secrets": SECRETS,
    "crypto": CRYPTO_AND_COMMUNICATIONS,
    "services": SERVICES_AND_DEBUG,
    "updates": UPDATES_AND_BOOT,
    "hardening": HARDENING,
    "privacy": PRIVACY_AND_DATA,
}

MODULES: tuple[ModuleType, ...] = tuple(m for group in GROUPS.values() for m in group)


def all_checks() -> tuple[Check, ...]:
    return tuple(c for module in MODULES for c in module.CHECKS)


def checks_of(*groups: str) -> list[Check]:
    """The checks of the named concern groups, in registry order."""
    return [c for g in groups for m in GROUPS[g] for c in m.CHECKS]
