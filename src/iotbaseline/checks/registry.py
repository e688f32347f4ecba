"""The explicit, ordered list of check modules (no import magic).

A test fails when a module under ``checks/`` that defines ``CHECKS`` is missing here, when ids
repeat, or when a cited requirement does not exist in its catalog.
"""

from __future__ import annotations

from types import ModuleType

# --- group A: credentials, secrets, cryptography, communications, disclosure ---
from iotbaseline.checks import (
    cert_x509,
    comm_transport,
    comm_wifi,
    cred_accounts,
    cred_config,
    cred_flat,
    cred_web,
    crypto_weak,
    disclosure_info,
    secret_keys,
    secret_tokens,
)
from iotbaseline.checks.base import Check

GROUP_A: tuple[ModuleType, ...] = (
    cred_accounts,
    cred_config,
    cred_flat,
    cred_web,
    secret_keys,
    cert_x509,
    secret_tokens,
    crypto_weak,
    comm_transport,
    comm_wifi,
    disclosure_info,
)
# --- end group A ---

# --- group B: services, debug, privilege, hardening, updates, secure boot, firewall ---
from iotbaseline.checks import (
    android_props,
    boot_secure,
    debug_console,
    firewall_setup,
    hard_aslr,
    hard_elf,
    priv_daemons,
    priv_files,
    svc_access,
    svc_remote,
    update_path,
)

GROUP_B: tuple[ModuleType, ...] = (
    svc_remote,
    svc_access,
    debug_console,
    android_props,
    firewall_setup,
    priv_daemons,
    priv_files,
    hard_elf,
    hard_aslr,
    update_path,
    boot_secure,
)
# --- end group B ---

# --- group C: coverage completion ---
from iotbaseline.checks import (
    data_reset,
    hotspot_bridge,
    log_secrets,
    rng_weak,
    telemetry_upload,
)

GROUP_C: tuple[ModuleType, ...] = (
    rng_weak,
    log_secrets,
    telemetry_upload,
    hotspot_bridge,
    data_reset,
)
# --- end group C ---

MODULES: tuple[ModuleType, ...] = GROUP_A + GROUP_B + GROUP_C


def all_checks() -> tuple[Check, ...]:
    return tuple(c for module in MODULES for c in module.CHECKS)
