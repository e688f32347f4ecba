"""The commented profile template written by ``iotbaseline profile init``.

Every field starts unanswered (null) except where the product category makes it a fact
(a lock is a smart lock; a camera is not a doorbell …). Comments say what each field means and
which requirements it decides; the wording is ours.
"""

from __future__ import annotations

import json
from string import Template

from iotbaseline.assess.profile import CATEGORIES

# Facts that follow from the category alone (anything debatable stays null).
_PRESETS: dict[str, dict[str, object]] = {
    "lock": {"device_is_smart_lock": True, "device_is_doorbell": False,
             "user_authentication": True},
    "doorbell": {"device_is_smart_lock": False, "device_is_doorbell": True},
    "router": {"constrained_device": False, "device_is_smart_lock": False,
               "device_is_doorbell": False},
    "gateway": {"constrained_device": False, "device_is_smart_lock": False,
                "device_is_doorbell": False},
}
_NOT_LOCK_OR_DOORBELL = {"device_is_smart_lock": False, "device_is_doorbell": False}

_FIELDS = (
    "constrained_device", "uses_passwords", "preinstalled_passwords", "software_updatable",
    "telemetry_collected", "consent_based_processing", "user_authentication",
    "automatic_updates_or_notifications", "hardcoded_unique_identity", "updates_via_network",
    "update_mechanism", "debug_interface_physically_accessible", "device_is_smart_lock",
    "device_is_doorbell", "device_is_outdoor", "device_opens_wifi_hotspot",
    "processes_personal_data", "enables_monetary_transfer",
)

_TEMPLATE = Template("""\
# iotbaseline device profile — what the product is and what its maker declares.
# Testing a firmware image or a live device cannot show everything a baseline asks; this file
# carries the rest (the "IXIT" of ETSI TS 103 701). Leave a value null when you do not know:
# the requirement then stays INCONCLUSIVE (some conditions can be inferred from the firmware).
# Check the file with:  iotbaseline profile check THIS_FILE
schema: iotbaseline.profile/1

product:
  name: $name                   # product name as sold
  vendor: null                  # manufacturer
  model: null                   # model designation (ETSI 5.3-16)
  category: $category           # one of: $categories
  firmware_version: null

# ETSI EN 303 645 Table B.1 conditions 4 and 5: a constrained device cannot use some security
# controls because of its hardware (battery, CPU, memory). true → condition 4, false → condition 5.
constrained_device: $constrained_device

# Conditions of the baselines: true / false / null (unknown). A false condition makes the
# provisions that depend on it NOT_APPLICABLE, with this field named as the reason.
conditions:
  uses_passwords: $uses_passwords                 # ETSI cond. 1: any password is used (5.1-1)
  preinstalled_passwords: $preinstalled_passwords         # ETSI cond. 2: passwords set at the factory (5.1-2)
  software_updatable: $software_updatable             # ETSI cond. 3 is "NOT updatable" (5.3-14, 5.3-15)
  telemetry_collected: $telemetry_collected            # ETSI cond. 6 (5.10-1, 6-4, 6-5)
  consent_based_processing: $consent_based_processing       # ETSI cond. 7: personal data processed on consent (6-2)
  user_authentication: $user_authentication            # ETSI cond. 8: users authenticate to the device (5.1-4)
  automatic_updates_or_notifications: $automatic_updates_or_notifications  # ETSI cond. 9 (5.3-6)
  hardcoded_unique_identity: $hardcoded_unique_identity      # ETSI cond. 10: per-device identity in hardware/firmware (5.4-2)
  updates_via_network: $updates_via_network            # ETSI cond. 11 (5.3-10)
  update_mechanism: $update_mechanism               # ETSI cond. 12 (5.3-3 … 5.3-12)
  debug_interface_physically_accessible: $debug_interface_physically_accessible  # ETSI cond. 13 (5.6-4)
  device_is_smart_lock: $device_is_smart_lock           # Xiaomi 1.5-1.7
  device_is_doorbell: $device_is_doorbell             # Xiaomi 1.5
  device_is_outdoor: $device_is_outdoor              # Xiaomi 6.4
  device_opens_wifi_hotspot: $device_opens_wifi_hotspot      # Xiaomi 4.2.4, 4.2.5: controlled through its own Wi-Fi hotspot
  processes_personal_data: $processes_personal_data        # EN 18031-2 applies: personal, traffic or location data
  enables_monetary_transfer: $enables_monetary_transfer      # EN 18031-3 applies: the user can transfer money or value

# Xiaomi security level (Appendix A): declare it, or give the facts that decide it — the highest
# impact over the personal data collected, tampering (integrity) and unavailability.
xiaomi:
  level: null                   # L / M / H
  personal_information: null    # list of: basic, education_work, device_usage (low);
                                # communication, contact (medium); identification, biometric,
                                # web_identifier, health, property, internet_records, location,
                                # other_sensitive (high). [] = none collected
  integrity_impact: $integrity_impact        # minor / limited / severe harm if tampered with
  availability_impact: null     # minor / limited / severe harm if unavailable

isvs_level: null                # OWASP ISVS level targeted (L1 / L2 / L3); null assesses all

# Declarations: facts only the maker can state (TS 103 701 IXIT entry in brackets).
# Booleans: true = done, false = declared NOT done (that provision is then not met).
declarations:
  vulnerability_disclosure:     # [2-UserInfo, 3-VulnTypes, 4-Conf, 5-VulnMon] ETSI 5.2-1..5.2-3
    url: null                   # where the disclosure policy is published
    contact: null               # e.g. security@example.com
    timelines: null             # e.g. "acknowledge within 5 working days, updates every 30 days"
    acts_on_reports: null       # reported vulnerabilities are fixed in a timely way (5.2-2)
    monitoring: null            # how vulnerabilities are monitored during support (5.2-3)
  support_period:               # [2-UserInfo, 9-ReplSup]
    end: null                   # date (YYYY-MM-DD) until which security updates are provided
    published_at: null          # URL where the support period is published (5.3-13)
    no_update_rationale: null   # constrained, not updatable devices: why, and replacement (5.3-14)
    hardware_replacement: null  # how the device can be isolated and replaced (5.3-15)
  authentication:               # [1-AuthMech]
    mechanisms: null            # how users authenticate and with what cryptography (5.1-3)
    password_scheme: null       # unique_per_device / user_defined / universal (5.1-1)
    preinstalled_password_generation: null  # random / derived_from_public_data / counter (5.1-2)
    user_can_change: null       # the user can change the password simply (5.1-4)
    brute_force_protection: null  # rate limit / back-off / lockout on network logins (5.1-5)
  updates:                      # [6-SoftComp, 7-UpdMech, 8-UpdProc]
    mechanism: null             # how updates are delivered and installed (5.3-2)
    all_components_updatable: null  # (5.3-1)
    simple_for_user: null       # (5.3-3)
    automatic: null             # updates install automatically (5.3-4)
    checks_for_updates: null    # boot_and_periodic / periodic / on_request / never (5.3-5)
    enabled_by_default_and_configurable: null  # automatic updates on by default, user can defer (5.3-6)
    cryptography: null          # signature scheme and key handling of updates (5.3-7)
    security_update_process: null  # how fast security fixes ship (5.3-8)
    verifies_authenticity: null # device checks signature/integrity of each update (5.3-9, 5.3-10)
    informs_user: null          # user told when a security update is needed (5.3-11)
    warns_before_disruption: null  # user warned when an update interrupts the device (5.3-12)
    mcu_iap_protected: null     # feature: wired MCU (IAP) updates encrypted or signed (X 2.1.6)
    packages_encrypted: null    # update packages are encrypted (T 5.1.5-5)
  security_parameters:          # [10-SecParam, 14-SecMgmt]
    secure_storage: null        # how keys/credentials are stored on the device (5.4-1)
    identity_tamper_resistance: null  # protection of a hard-coded device identity (5.4-2)
    none_hardcoded_in_software: null  # no critical security parameter in the software (5.4-3)
    unique_per_device: null     # update/cloud keys are unique per device (5.4-4)
    encrypted_in_transit: null  # (5.5-6)
    confidential_over_remote_interfaces: null  # (5.5-7)
    management_process: null    # key generation, provisioning, rotation, revocation (5.5-8)
  communication:                # [11-ComMech, 12-NetSecImpl]
    mechanisms: null            # protocols and cryptography for each connection (5.5-1)
    reviewed_implementations: null  # reviewed/evaluated libraries used, e.g. "mbedTLS 3.6" (5.5-2)
    crypto_updatable: null      # algorithms can be updated (5.5-3)
    orderly_reconnection: null  # (re)connects in a stable, orderly way (5.9-3)
  services:                     # [13-SoftServ, 16-CodeMin, 17-PrivlCtrl, 18-AccCtrl, 19-SecDev]
    network_functions_require_auth: null  # (5.5-4)
    config_changes_require_auth: null     # (5.5-5)
    only_needed_services_enabled: null    # (5.6-5)
    code_minimisation: null     # (5.6-6)
    least_privilege: null       # (5.6-7)
    memory_access_control: null # hardware memory protection used (5.6-8)
    secure_development: null    # secure development process followed (5.6-9)
  interfaces:                   # [15-Intf]
    listed: null                # every network, logical and physical interface
    unused_disabled: null       # (5.6-1)
    minimal_unauthenticated_disclosure: null  # (5.6-2)
    physical_exposure_minimised: null  # (5.6-3)
    debug_disabled_in_software: null   # (5.6-4)
  secure_boot:                  # [20-SecBoot]
    mechanism: null             # (5.7-1)
    tamper_response: null       # what happens when an unauthorised change is found (5.7-2)
  personal_data:                # [21-PersData]
    protected_in_transit: null  # (5.8-1)
    sensitive_protected_in_transit: null  # (5.8-2)
    information_url: null       # privacy information for consumers (6-1)
    consent_obtained_validly: null  # (6-2)
    consent_withdrawal: null    # how consent is withdrawn (6-3)
  external_sensors:             # [22-ExtSens]
    sensors: $sensors          # e.g. [camera, microphone, PIR]
    documented_at: null         # URL of the documentation (5.8-3)
  resilience:                   # [23-ResMech]
    outage_resilience: null     # (5.9-1)
    local_operation: null       # (5.9-2)
  telemetry:                    # [24-TelData]
    examined_for_anomalies: null  # (5.10-1)
    personal_data_minimised: null  # (6-4)
    information_url: null       # what telemetry is collected and why (6-5)
  data_deletion:                # [25-DelFunc]
    device_erase: null          # factory reset erasing user data (5.11-1)
    service_erase: null         # removing personal data from the cloud (5.11-2)
    instructions_url: null      # (5.11-3)
    confirmation: null          # user told that data was deleted (5.11-4)
  user_information:             # [2-UserInfo, 26-UserDec]
    documentation_url: null
    model_designation_visible: null  # label or UI shows the model (5.3-16)
    minimal_setup_steps: null   # (5.12-1)
    secure_setup_guide_url: null  # (5.12-2)
    setup_check_guide_url: null   # (5.12-3)
  input_validation:             # [27-UserIntf, 28-ExtAPI, 29-InpVal]
    description: null           # how input is validated (5.13-1)
  # ---- beyond the IXIT: Xiaomi 2.0 (X) and Tencent Q/TX 001.1 (T) items that hardware, the
  # companion app, the cloud or the process decide. Answers marked "feature" take
  # yes / no / not_present (the product has no such feature: the item asks nothing of it).
  physical:
    debug_markings_removed: null       # no silkscreen naming debug pads (X 1.1.2, T 5.1.2-1)
    debug_output_masks_secrets: null   # console/debug output hides secrets (X 1.1.4)
    chip_readout_protected: null       # MCU/SE read-out protection, fuses blown (X 1.2.2, T 5.1.4-2)
    mcu_security_features_used: null   # feature: debug lock, firmware encryption (T 5.1.4-3)
    internal_bus_encrypted: null       # feature: I2C/SPI traffic encrypted (X 1.3)
    enclosure_resists_opening: null    # needs tools, no exposed screws (X 1.5, T 5.1.1-1)
    dismantle_alarm: null              # feature: alarm when pried off (X 1.5)
    emp_protection: null               # shielded against strong EM pulses (X 1.6)
    lock_cylinder_pick_resistant: null # (X 1.7)
    lock_cards: null                   # cpu_card / id_card / m1_card / not_present (X 1.7)
    electrical_safety_compliant: null  # GB 4943.1 or equivalent (T 5.1.1-2)
    privileged_operations_protected: null  # feature: admin/debug modes on a public HMI (T 5.1.1-4)
    privileged_buttons_hidden: null    # feature: no exposed reset/reboot buttons (T 5.1.1-5)
    flash_package_bga: null            # feature: separate flash chip in BGA (T 5.1.4-1)
  sensing:                      # all "feature" answers (T 5.1.3)
    microphone_audible_range_only: null   # (T 5.1.3-1)
    face_liveness_detection: null         # (T 5.1.3-2)
    fingerprint_liveness_detection: null  # (T 5.1.3-3)
    positioning_not_gps_only: null        # (T 5.1.3-4)
  radio:
    replay_protection: null            # counters/rolling codes (X 4.1.4, T 5.2.1-3)
    protocols_security_approved: null  # only assessed protocols (X 4.1.5)
    hotspot_reaches_device_only: null  # own AP never bridges to LAN/Internet (X 4.2.5)
    ble_pairing_confirmation: null     # feature (X 4.3.1)
    ble_session_key_per_login: null    # feature (X 4.3.2)
    ble_advertising_encrypted: null    # feature (X 4.3.3)
    ble_mesh_authenticated: null       # feature (X 4.3.4)
    ble_version_4_2_or_later: null     # feature (X 4.3.5)
    ble_vendor_commands_require_binding: null  # feature (X 4.3.6)
    ble_advertising_anti_tracking: null  # feature (X 4.3.7)
    ble_app_level_encryption: null     # feature (X 4.3.8)
    ble_gatt_access_restricted: null   # feature (T 5.2.1-2)
    zigbee_joining: null               # install_codes / default_link_key / not_present (X 4.4.1)
    rf_sequence_numbers: null          # 4_bytes_or_more / shorter / not_present (X 4.5.1)
    rf_frequency_hopping: null         # feature (X 4.5.3)
    lorawan_join: null                 # otaa / abp_random_keys / abp_fixed_keys / not_present (T 5.2.1-5)
    avoids_2g_3g: null                 # no 2G/3G cellular (T 5.2.1-6)
  network:
    throughput_and_latency_met: null   # > 10 kbit/s, < 200 ms (T 5.2.4-1)
    lock_unlock_latency_met: null      # feature: locks open in 10 s remote / 3 s local (T 5.2.4-2)
    link_stability_met: null           # < 10 % loss, retransmission, heartbeats (T 5.2.4-3)
  binding:
    binding_window_limited: null       # binding closes 30 min after power-on (X 6.1)
    confirmed_on_device: null          # out-of-band confirmation (X 6.2)
    reset_before_rebinding: null       # (X 6.3)
    cloud_records_owner: null          # strong binding (X 6.4)
  privacy:
    telemetry_excludes_sensitive_data: null  # (X 5.3)
    region_based_routing: null         # requests stay in the user's region (X 5.4)
    logs_free_of_secrets: null         # device logs hold no credentials, keys or PII (ISVS V1.4.4)
  development:
    source_code_not_public: null       # (X 2.3)
    third_party_risk_review: null      # how high-risk libraries are avoided (T 5.1.6-2)
    strong_random_source: null         # RNG for security values, e.g. "hardware TRNG" (X 5.2)
    release_build_secure_defaults: null  # release build with secure defaults, no debug build (ISVS V1.2.3)
    banned_functions_replaced: null    # strcpy, gets … replaced by bounded variants (ISVS V1.3.3)
  app:                          # the companion app (T 5.1.7-1 … 5.1.7-11)
    user_authentication_with_policy: null
    sensitive_data_encrypted: null
    keys_protected: null
    logs_free_of_user_data: null
    requests_signed: null
    code_hardened: null
    anti_debugging: null
    verifies_own_signature: null
    integrity_checked_at_start_and_update: null
    trusted_release_channels: null
    uninstall_removes_data: null
  cloud:                        # the maker's cloud platform (T 5.2.2, 5.3.x; X 5.5)
    hosting: null               # private_data_centre / shared_isolated / tencent_cloud_vpc / shared_not_isolated
    device_id_provisioning_confidential: null  # (T 5.2.2-1)
    tencent_iot_guidance_followed: null  # yes / no / not_tencent_platform (T 5.2.2-2, 5.2.2-4)
    attack_defence: null               # (T 5.3.3-1)
    server_components_current: null    # (T 5.3.3-3)
    sensitive_data_encrypted_at_rest: null  # (T 5.3.4-1, X 5.5)
    databases_not_internet_exposed: null    # (T 5.3.4-2)
    database_access_controlled: null   # (T 5.3.4-3)
    data_access_audited: null          # (T 5.3.4-4)
    transport_encrypted: null          # (T 5.3.4-5)
    least_privilege_data_access: null  # (T 5.3.4-6)
    sensitive_data_masked: null        # (T 5.3.4-7)
    interfaces_validate_input: null    # (T 5.3.4-8)
    access_logs_retained: null         # (T 5.3.4-9)
    security_testing_and_fixing: null  # (T 5.3.5-1)
    hardened: null                     # (T 5.3.5-2)
    intrusion_detection: null          # (T 5.3.5-3)
    malware_detection: null            # (T 5.3.5-4)
    remote_management_monitored: null  # (T 5.3.5-5)
    privileged_commands_restricted: null  # (T 5.3.5-6)
    secure_boot: null                  # (T 5.3.5-7)
    config_integrity_checked: null     # (T 5.3.5-8)
    minimal_installation: null         # (T 5.3.5-9)
    resource_monitoring: null          # (T 5.3.5-10)
  # Any catalog, mainly OWASP ISVS process items: "catalog:requirement" → {met, evidence}.
  # met: false makes it FAIL; met: true answers the declaration part, but never outweighs a
  # failing finding nor replaces technical evidence a check or the probe can give.
  # e.g. "owasp-isvs:V1.1.3": {met: true, evidence: "threat model TM-12, reviewed 2025-03"}
  attestations: {}
  # ETSI 4-1: for each recommendation not implemented, why. e.g. "5.3-4": "updates are manual"
  justifications: {}
""")

_SENSORS = {"camera": "[camera, microphone]", "doorbell": "[camera, microphone]",
            "speaker": "[microphone]"}


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_template(category: str = "other", name: str = "My product") -> str:
    """The commented template for ``category`` (which presets the facts it implies)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; one of: {', '.join(CATEGORIES)}")
    values: dict[str, object] = dict.fromkeys(_FIELDS)
    if category != "other":
        values.update(_NOT_LOCK_OR_DOORBELL)
    values.update(_PRESETS.get(category, {}))
    substitutions = {key: _yaml_scalar(value) for key, value in values.items()}
    substitutions["integrity_impact"] = "severe" if category == "lock" else "null"
    substitutions["sensors"] = _SENSORS.get(category, "null")
    return _TEMPLATE.substitute(substitutions, name=json.dumps(name, ensure_ascii=False), category=category,
                                categories=", ".join(CATEGORIES))
