"""The device profile: what the product is and what its maker declares (the IXIT of
ETSI TS 103 701) — the input that testing an image or a device cannot provide.

Three parts: ``product`` and the conditions of ETSI EN 303 645 Table B.1 / Xiaomi's device kinds
(each ``None`` while unanswered), the Xiaomi security level or the Appendix A facts that decide
it, and ``declarations`` (one field per IXIT fact a verdict needs). ``load_profile`` reports
every problem with file, line and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError

from iotbaseline.assess.yaml_lines import LocatedYaml, YamlLoadError, load_located_yaml

PROFILE_SCHEMA = "iotbaseline.profile/1"

Category = Literal[
    "camera", "lock", "doorbell", "gateway", "router", "plug", "sensor", "speaker",
    "wearable", "hub", "appliance", "toy", "other",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
XiaomiLevel = Literal["L", "M", "H"]
Impact = Literal["minor", "limited", "severe"]
PersonalInfo = Literal[
    # Xiaomi Appendix A, confidentiality rows (our short names), grouped by impact level
    "basic", "education_work", "device_usage",  # low
    "communication", "contact",  # medium
    "identification", "biometric", "web_identifier", "health", "property",
    "internet_records", "location", "other_sensitive",  # high
]
# For facts about a feature the product may lack (Bluetooth, RF, a fingerprint sensor …):
# "yes" = done, "no" = not done (the requirement is not met), "not_present" = the product has
# no such feature, so the requirement asks nothing of it (it is then met, and the verdict
# reason says that it rests on this answer).
FeatureFact = Literal["yes", "no", "not_present"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Product(_Strict):
    name: str
    vendor: str | None = None
    model: str | None = None
    category: Category = "other"
    firmware_version: str | None = None


class Conditions(_Strict):
    """ETSI Table B.1 conditions (4 and 5 are ``constrained_device`` at the top level) and the
    Xiaomi device kinds. ``None`` = not answered: may be inferred from the firmware."""

    uses_passwords: bool | None = None  # ETSI condition 1
    preinstalled_passwords: bool | None = None  # 2
    software_updatable: bool | None = None  # 3 (negated: "not updatable")
    telemetry_collected: bool | None = None  # 6
    consent_based_processing: bool | None = None  # 7
    user_authentication: bool | None = None  # 8
    automatic_updates_or_notifications: bool | None = None  # 9
    hardcoded_unique_identity: bool | None = None  # 10
    updates_via_network: bool | None = None  # 11
    update_mechanism: bool | None = None  # 12
    debug_interface_physically_accessible: bool | None = None  # 13
    device_is_smart_lock: bool | None = None  # Xiaomi 1.5–1.7
    device_is_doorbell: bool | None = None  # Xiaomi 1.5
    device_is_outdoor: bool | None = None  # Xiaomi 6.4
    device_opens_wifi_hotspot: bool | None = None  # Xiaomi 4.2.4, 4.2.5
    processes_personal_data: bool | None = None  # EN 18031-2 (RED Art. 3(3)(e)) applies
    enables_monetary_transfer: bool | None = None  # EN 18031-3 (RED Art. 3(3)(f)) applies


class XiaomiFacts(_Strict):
    """Xiaomi security level, declared or decided by Appendix A's impact table."""

    level: XiaomiLevel | None = None
    personal_information: list[PersonalInfo] | None = None  # kinds collected; [] = none
    integrity_impact: Impact | None = None  # harm if the device/app is tampered with
    availability_impact: Impact | None = None  # harm if the device/service is unavailable


# ---- declarations (one group per TS 103 701 IXIT entry) -----------------------------------


class VulnerabilityDisclosure(_Strict):  # IXIT 2-UserInfo, 3-VulnTypes, 4-Conf, 5-VulnMon
    url: AnyHttpUrl | None = None
    contact: str | None = None
    timelines: str | None = None  # acknowledgement and status-update times
    acts_on_reports: bool | None = None  # 5.2-2
    monitoring: str | None = None  # 5.2-3: how vulnerabilities are monitored and fixed


class SupportPeriod(_Strict):  # IXIT 2-UserInfo, 9-ReplSup
    end: dt.date | None = None
    published_at: AnyHttpUrl | None = None  # 5.3-13
    no_update_rationale: str | None = None  # 5.3-14 (constrained, not updatable)
    hardware_replacement: str | None = None  # 5.3-15: isolation and replacement plan


class Authentication(_Strict):  # IXIT 1-AuthMech
    mechanisms: str | None = None  # 5.1-3
    password_scheme: Literal["unique_per_device", "user_defined", "universal"] | None = None
    preinstalled_password_generation: (
        Literal["random", "derived_from_public_data", "counter"] | None
    ) = None  # 5.1-2
    user_can_change: bool | None = None  # 5.1-4
    brute_force_protection: str | None = None  # 5.1-5


class Updates(_Strict):  # IXIT 6-SoftComp, 7-UpdMech, 8-UpdProc
    mechanism: str | None = None  # 5.3-2
    all_components_updatable: bool | None = None  # 5.3-1
    simple_for_user: bool | None = None  # 5.3-3
    automatic: bool | None = None  # 5.3-4
    checks_for_updates: Literal["boot_and_periodic", "periodic", "on_request", "never"] | None = (
        None  # 5.3-5
    )
    enabled_by_default_and_configurable: bool | None = None  # 5.3-6
    cryptography: str | None = None  # 5.3-7
    security_update_process: str | None = None  # 5.3-8: timeliness
    verifies_authenticity: bool | None = None  # 5.3-9, 5.3-10
    informs_user: bool | None = None  # 5.3-11
    warns_before_disruption: bool | None = None  # 5.3-12
    mcu_iap_protected: FeatureFact | None = None  # wired MCU (IAP) updates signed/encrypted (X 2.1.6)
    packages_encrypted: bool | None = None  # update packages encrypted (T 5.1.5-5)


class SecurityParameters(_Strict):  # IXIT 10-SecParam, 14-SecMgmt
    secure_storage: str | None = None  # 5.4-1
    identity_tamper_resistance: str | None = None  # 5.4-2
    none_hardcoded_in_software: bool | None = None  # 5.4-3
    unique_per_device: bool | None = None  # 5.4-4
    encrypted_in_transit: bool | None = None  # 5.5-6
    confidential_over_remote_interfaces: bool | None = None  # 5.5-7
    management_process: str | None = None  # 5.5-8


class Communication(_Strict):  # IXIT 11-ComMech, 12-NetSecImpl
    mechanisms: str | None = None  # 5.5-1
    reviewed_implementations: str | None = None  # 5.5-2
    crypto_updatable: bool | None = None  # 5.5-3
    orderly_reconnection: bool | None = None  # 5.9-3


class Services(_Strict):  # IXIT 13-SoftServ, 16-CodeMin, 17-PrivlCtrl, 18-AccCtrl
    network_functions_require_auth: bool | None = None  # 5.5-4
    config_changes_require_auth: bool | None = None  # 5.5-5
    only_needed_services_enabled: bool | None = None  # 5.6-5
    code_minimisation: str | None = None  # 5.6-6
    least_privilege: str | None = None  # 5.6-7
    memory_access_control: str | None = None  # 5.6-8
    secure_development: str | None = None  # 5.6-9 (19-SecDev)


class Interfaces(_Strict):  # IXIT 15-Intf
    listed: list[str] | None = None  # every network/logical/physical interface
    unused_disabled: bool | None = None  # 5.6-1
    minimal_unauthenticated_disclosure: bool | None = None  # 5.6-2
    physical_exposure_minimised: bool | None = None  # 5.6-3
    debug_disabled_in_software: bool | None = None  # 5.6-4


class SecureBoot(_Strict):  # IXIT 20-SecBoot
    mechanism: str | None = None  # 5.7-1
    tamper_response: str | None = None  # 5.7-2


class PersonalData(_Strict):  # IXIT 21-PersData, 2-UserInfo
    protected_in_transit: str | None = None  # 5.8-1
    sensitive_protected_in_transit: str | None = None  # 5.8-2
    information_url: AnyHttpUrl | None = None  # 6-1
    consent_obtained_validly: bool | None = None  # 6-2
    consent_withdrawal: str | None = None  # 6-3


class ExternalSensors(_Strict):  # IXIT 22-ExtSens
    sensors: list[str] | None = None  # [] = no external sensing capability
    documented_at: AnyHttpUrl | None = None  # 5.8-3


class Resilience(_Strict):  # IXIT 23-ResMech
    outage_resilience: str | None = None  # 5.9-1
    local_operation: str | None = None  # 5.9-2


class Telemetry(_Strict):  # IXIT 24-TelData
    examined_for_anomalies: bool | None = None  # 5.10-1
    personal_data_minimised: bool | None = None  # 6-4
    information_url: AnyHttpUrl | None = None  # 6-5


class DataDeletion(_Strict):  # IXIT 25-DelFunc
    device_erase: str | None = None  # 5.11-1
    service_erase: str | None = None  # 5.11-2
    instructions_url: AnyHttpUrl | None = None  # 5.11-3
    confirmation: bool | None = None  # 5.11-4


class UserInformation(_Strict):  # IXIT 2-UserInfo, 26-UserDec
    documentation_url: AnyHttpUrl | None = None
    model_designation_visible: bool | None = None  # 5.3-16
    minimal_setup_steps: bool | None = None  # 5.12-1
    secure_setup_guide_url: AnyHttpUrl | None = None  # 5.12-2
    setup_check_guide_url: AnyHttpUrl | None = None  # 5.12-3


class InputValidation(_Strict):  # IXIT 27-UserIntf, 28-ExtAPI, 29-InpVal
    description: str | None = None  # 5.13-1


# ---- declarations beyond the TS 103 701 IXIT: Xiaomi 2.0 and Tencent Q/TX 001.1 items that
# no firmware image or probe can show (hardware, companion app, cloud platform, process) ----



class Physical(_Strict):  # hardware and enclosure (Xiaomi ch. 1, Tencent 5.1.1-5.1.4)
    debug_markings_removed: bool | None = None  # no silkscreen on debug pads (X 1.1.2, T 5.1.2-1)
    debug_output_masks_secrets: bool | None = None  # debug/console output hides secrets (X 1.1.4)
    chip_readout_protected: bool | None = None  # MCU/SE read-out protection or fuses (X 1.2.2, T 5.1.4-2)
    mcu_security_features_used: FeatureFact | None = None  # debug lock, firmware encryption (T 5.1.4-3)
    internal_bus_encrypted: FeatureFact | None = None  # I2C/SPI data encrypted (X 1.3)
    enclosure_resists_opening: bool | None = None  # needs tools, no exposed screws (X 1.5, T 5.1.1-1)
    dismantle_alarm: FeatureFact | None = None  # alarm when pried off (X 1.5)
    emp_protection: bool | None = None  # shielding against strong EM pulses (X 1.6)
    lock_cylinder_pick_resistant: bool | None = None  # (X 1.7)
    lock_cards: Literal["cpu_card", "id_card", "m1_card", "not_present"] | None = None  # (X 1.7)
    electrical_safety_compliant: bool | None = None  # GB 4943.1 or equivalent (T 5.1.1-2)
    privileged_operations_protected: FeatureFact | None = None  # admin/debug modes on a public HMI (T 5.1.1-4)
    privileged_buttons_hidden: FeatureFact | None = None  # no exposed reset/reboot on public devices (T 5.1.1-5)
    flash_package_bga: FeatureFact | None = None  # separate flash chip in a BGA package (T 5.1.4-1)


class Sensing(_Strict):  # sensors resisting spoofing (Tencent 5.1.3)
    microphone_audible_range_only: FeatureFact | None = None  # (T 5.1.3-1)
    face_liveness_detection: FeatureFact | None = None  # 3D/liveness (T 5.1.3-2)
    fingerprint_liveness_detection: FeatureFact | None = None  # (T 5.1.3-3)
    positioning_not_gps_only: FeatureFact | None = None  # GPS plus Wi-Fi assistance (T 5.1.3-4)


class Radio(_Strict):  # local radio links (Xiaomi 4.1, 4.3-4.5; Tencent 5.2.1)
    replay_protection: bool | None = None  # counters/rolling codes on commands (X 4.1.4, T 5.2.1-3)
    protocols_security_approved: bool | None = None  # only assessed protocols used (X 4.1.5)
    hotspot_reaches_device_only: bool | None = None  # own AP never bridges to LAN/Internet (X 4.2.5)
    ble_pairing_confirmation: FeatureFact | None = None  # button or time window (X 4.3.1)
    ble_session_key_per_login: FeatureFact | None = None  # (X 4.3.2)
    ble_advertising_encrypted: FeatureFact | None = None  # sensor data in adverts (X 4.3.3)
    ble_mesh_authenticated: FeatureFact | None = None  # (X 4.3.4)
    ble_version_4_2_or_later: FeatureFact | None = None  # (X 4.3.5)
    ble_vendor_commands_require_binding: FeatureFact | None = None  # OTA/DFU commands (X 4.3.6)
    ble_advertising_anti_tracking: FeatureFact | None = None  # random rotating address (X 4.3.7)
    ble_app_level_encryption: FeatureFact | None = None  # sensitive data with Android apps (X 4.3.8)
    ble_gatt_access_restricted: FeatureFact | None = None  # (T 5.2.1-2)
    zigbee_joining: Literal["install_codes", "default_link_key", "not_present"] | None = None  # (X 4.4.1)
    rf_sequence_numbers: Literal["4_bytes_or_more", "shorter", "not_present"] | None = None  # (X 4.5.1)
    rf_frequency_hopping: FeatureFact | None = None  # (X 4.5.3)
    lorawan_join: Literal["otaa", "abp_random_keys", "abp_fixed_keys", "not_present"] | None = None  # (T 5.2.1-5)
    avoids_2g_3g: bool | None = None  # no 2G/3G cellular fallback (T 5.2.1-6)


class Network(_Strict):  # network quality (Tencent 5.2.4)
    throughput_and_latency_met: bool | None = None  # > 10 kbit/s, < 200 ms (T 5.2.4-1)
    lock_unlock_latency_met: FeatureFact | None = None  # 10 s remote / 3 s local, locks (T 5.2.4-2)
    link_stability_met: bool | None = None  # < 10 % loss, retransmission, heartbeats (T 5.2.4-3)


class Binding(_Strict):  # device binding to user accounts (Xiaomi ch. 6)
    binding_window_limited: bool | None = None  # closes 30 min after power-on (X 6.1)
    confirmed_on_device: bool | None = None  # out-of-band confirmation (X 6.2)
    reset_before_rebinding: bool | None = None  # (X 6.3)
    cloud_records_owner: bool | None = None  # strong binding (X 6.4)


class Privacy(_Strict):  # Xiaomi ch. 5 items about where personal data goes
    telemetry_excludes_sensitive_data: bool | None = None  # (X 5.3)
    region_based_routing: bool | None = None  # requests stay in the user's region (X 5.4)
    logs_free_of_secrets: bool | None = None  # device logs hold no credentials, keys or PII (ISVS V1.4.4)


class Development(_Strict):  # engineering process (Xiaomi 2.3, Tencent 5.1.6-2)
    source_code_not_public: bool | None = None  # no unapproved public hosting (X 2.3)
    third_party_risk_review: str | None = None  # how high-risk libraries are avoided (T 5.1.6-2)
    strong_random_source: str | None = None  # RNG used for security values (X 5.2)
    release_build_secure_defaults: bool | None = None  # no debug build/config shipped (ISVS V1.2.3)
    banned_functions_replaced: bool | None = None  # strcpy/gets … replaced (ISVS V1.3.3)


class CompanionApp(_Strict):  # the control app (Tencent 5.1.7)
    user_authentication_with_policy: bool | None = None  # (T 5.1.7-1)
    sensitive_data_encrypted: bool | None = None  # (T 5.1.7-2)
    keys_protected: bool | None = None  # (T 5.1.7-3)
    logs_free_of_user_data: bool | None = None  # (T 5.1.7-4)
    requests_signed: bool | None = None  # keyed integrity on data to the server (T 5.1.7-5)
    code_hardened: bool | None = None  # obfuscation/packing (T 5.1.7-6)
    anti_debugging: bool | None = None  # (T 5.1.7-7)
    verifies_own_signature: bool | None = None  # anti-repackaging (T 5.1.7-8)
    integrity_checked_at_start_and_update: bool | None = None  # (T 5.1.7-9)
    trusted_release_channels: bool | None = None  # (T 5.1.7-10)
    uninstall_removes_data: bool | None = None  # (T 5.1.7-11)


class CloudPlatform(_Strict):  # the maker's cloud platform (Tencent 5.2.2, 5.3.x; Xiaomi 5.5)
    hosting: Literal["private_data_centre", "shared_isolated", "tencent_cloud_vpc",
                     "shared_not_isolated"] | None = None  # (T 5.3.1-1 … 5.3.1-3)
    device_id_provisioning_confidential: bool | None = None  # (T 5.2.2-1)
    tencent_iot_guidance_followed: Literal["yes", "no", "not_tencent_platform"] | None = None  # (T 5.2.2-2, 5.2.2-4)
    attack_defence: bool | None = None  # DDoS, WAF, host intrusion detection (T 5.3.3-1)
    server_components_current: bool | None = None  # (T 5.3.3-3)
    sensitive_data_encrypted_at_rest: bool | None = None  # (T 5.3.4-1, X 5.5)
    databases_not_internet_exposed: bool | None = None  # (T 5.3.4-2)
    database_access_controlled: bool | None = None  # (T 5.3.4-3)
    data_access_audited: bool | None = None  # (T 5.3.4-4)
    transport_encrypted: bool | None = None  # (T 5.3.4-5)
    least_privilege_data_access: bool | None = None  # (T 5.3.4-6)
    sensitive_data_masked: bool | None = None  # (T 5.3.4-7)
    interfaces_validate_input: bool | None = None  # (T 5.3.4-8)
    access_logs_retained: bool | None = None  # (T 5.3.4-9)
    security_testing_and_fixing: bool | None = None  # (T 5.3.5-1)
    hardened: bool | None = None  # (T 5.3.5-2)
    intrusion_detection: bool | None = None  # (T 5.3.5-3)
    malware_detection: bool | None = None  # (T 5.3.5-4)
    remote_management_monitored: bool | None = None  # (T 5.3.5-5)
    privileged_commands_restricted: bool | None = None  # (T 5.3.5-6)
    secure_boot: bool | None = None  # (T 5.3.5-7)
    config_integrity_checked: bool | None = None  # (T 5.3.5-8)
    minimal_installation: bool | None = None  # (T 5.3.5-9)
    resource_monitoring: bool | None = None  # (T 5.3.5-10)


class Attestation(_Strict):
    """The maker's statement on one requirement of any catalog (``"owasp-isvs:V1.1.1"``).
    It can make a requirement FAIL (met: false) or stand in for a declaration; it never
    overrides a failing finding and never replaces technical evidence a check or probe can
    give (docs/verdicts.md)."""

    met: bool
    evidence: str  # what the statement rests on: document, test report, design review …


class Declarations(_Strict):
    vulnerability_disclosure: VulnerabilityDisclosure = Field(
        default_factory=VulnerabilityDisclosure
    )
    support_period: SupportPeriod = Field(default_factory=SupportPeriod)
    authentication: Authentication = Field(default_factory=Authentication)
    updates: Updates = Field(default_factory=Updates)
    security_parameters: SecurityParameters = Field(default_factory=SecurityParameters)
    communication: Communication = Field(default_factory=Communication)
    services: Services = Field(default_factory=Services)
    interfaces: Interfaces = Field(default_factory=Interfaces)
    secure_boot: SecureBoot = Field(default_factory=SecureBoot)
    personal_data: PersonalData = Field(default_factory=PersonalData)
    external_sensors: ExternalSensors = Field(default_factory=ExternalSensors)
    resilience: Resilience = Field(default_factory=Resilience)
    telemetry: Telemetry = Field(default_factory=Telemetry)
    data_deletion: DataDeletion = Field(default_factory=DataDeletion)
    user_information: UserInformation = Field(default_factory=UserInformation)
    input_validation: InputValidation = Field(default_factory=InputValidation)
    physical: Physical = Field(default_factory=Physical)
    sensing: Sensing = Field(default_factory=Sensing)
    radio: Radio = Field(default_factory=Radio)
    network: Network = Field(default_factory=Network)
    binding: Binding = Field(default_factory=Binding)
    privacy: Privacy = Field(default_factory=Privacy)
    development: Development = Field(default_factory=Development)
    app: CompanionApp = Field(default_factory=CompanionApp)
    cloud: CloudPlatform = Field(default_factory=CloudPlatform)
    # any catalog: "catalog:requirement" → the maker's statement (mainly OWASP ISVS items)
    attestations: dict[str, Attestation] = Field(default_factory=dict)
    # ETSI 4-1: provision id ("5.3-4") → why the recommendation is not implemented
    justifications: dict[str, str] = Field(default_factory=dict)


class Profile(_Strict):
    schema_: Literal["iotbaseline.profile/1"] = Field(default="iotbaseline.profile/1",
                                                      alias="schema")
    product: Product
    constrained_device: bool | None = None  # ETSI conditions 4 (true) and 5 (false)
    conditions: Conditions = Field(default_factory=Conditions)
    xiaomi: XiaomiFacts = Field(default_factory=XiaomiFacts)
    isvs_level: Literal["L1", "L2", "L3"] | None = None  # ISVS verification level targeted
    declarations: Declarations = Field(default_factory=Declarations)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def condition_value(self, field: str) -> bool | None:
        """The answer to a catalog condition's ``profile_field`` (None when unanswered)."""
        if field == "constrained_device":
            return self.constrained_device
        if field in Conditions.model_fields:
            value = getattr(self.conditions, field)
            return value if isinstance(value, bool) else None
        raise KeyError(f"no profile field {field!r} answers a condition")

    def declaration(self, dotted: str) -> Any:
        """The declared value at ``"updates.mechanism"`` (None when not declared)."""
        node: Any = self.declarations
        for part in dotted.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node


# ---- Xiaomi Appendix A --------------------------------------------------------------------

_LEVEL_ORDER = ("L", "M", "H")
_INFO_LEVEL = {
    "basic": "L", "education_work": "L", "device_usage": "L",
    "communication": "M", "contact": "M",
}  # every other kind of personal information is high impact
_IMPACT_LEVEL = {"minor": "L", "limited": "M", "severe": "H"}


def xiaomi_level_from_facts(facts: XiaomiFacts) -> str | None:
    """The level Appendix A gives: the highest impact over confidentiality (the most sensitive
    personal information collected), integrity and availability. None when unknown (a missing
    fact could still raise it), except that any high-impact fact already decides H."""
    known: list[str] = []
    missing = False
    if facts.personal_information is None:
        missing = True
    else:
        known.extend(_INFO_LEVEL.get(kind, "H") for kind in facts.personal_information)
        known.append("L")
    for impact in (facts.integrity_impact, facts.availability_impact):
        if impact is None:
            missing = True
        else:
            known.append(_IMPACT_LEVEL[impact])
    top = max(known, key=_LEVEL_ORDER.index) if known else None
    if top == "H":
        return "H"
    return None if missing else top


def xiaomi_level(profile: Profile | None) -> tuple[str | None, str]:
    """(level, how it was decided) — the declared level wins; Appendix A facts otherwise."""
    if profile is None:
        return None, "no profile"
    if profile.xiaomi.level is not None:
        return profile.xiaomi.level, "declared in profile (xiaomi.level)"
    derived = xiaomi_level_from_facts(profile.xiaomi)
    if derived is not None:
        return derived, "derived from the Appendix A impact facts in the profile (xiaomi.*)"
    return None, "not declared and the Appendix A facts are incomplete"


# ---- loading and errors -------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileProblem:
    field: str  # dotted path, "" for the whole file
    message: str
    line: int | None = None


class ProfileError(ValueError):
    """A profile that cannot be used; ``str()`` lists ``file:line: field: problem`` lines."""

    def __init__(self, source: str, problems: list[ProfileProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.source}:{p.line}" if p.line is not None else self.source
            out.append(f"{where}: {p.field}: {p.message}" if p.field else f"{where}: {p.message}")
        return out


# (field A, value A, field B, value B, why the pair is impossible); fields are condition names
IMPOSSIBLE_COMBINATIONS: tuple[tuple[str, bool, str, bool, str], ...] = (
    ("preinstalled_passwords", True, "uses_passwords", False,
     "pre-installed passwords imply that the product uses passwords"),
    ("updates_via_network", True, "update_mechanism", False,
     "updates delivered over the network need an update mechanism"),
    ("update_mechanism", True, "software_updatable", False,
     "an update mechanism means the software is updatable"),
    ("updates_via_network", True, "software_updatable", False,
     "updates delivered over the network mean the software is updatable"),
    ("automatic_updates_or_notifications", True, "update_mechanism", False,
     "automatic updates or update notifications need an update mechanism"),
    ("automatic_updates_or_notifications", True, "software_updatable", False,
     "automatic updates or update notifications mean the software is updatable"),
)


def _condition_path(name: str) -> str:
    return name if name == "constrained_device" else f"conditions.{name}"


def combination_problems(profile: Profile) -> list[tuple[str, str]]:
    """(field path, problem) for answers that cannot all be true at once."""
    problems: list[tuple[str, str]] = []
    for field_a, value_a, field_b, value_b, why in IMPOSSIBLE_COMBINATIONS:
        if (profile.condition_value(field_a) is value_a
                and profile.condition_value(field_b) is value_b):
            problems.append((
                _condition_path(field_b),
                (f"{str(value_b).lower()} contradicts {_condition_path(field_a)}: "
                f"{str(value_a).lower()} ({why})"),
            ))
    cond = profile.conditions
    category = profile.product.category
    if category == "lock" and cond.device_is_smart_lock is False:
        problems.append(("conditions.device_is_smart_lock", "false contradicts category 'lock'"))
    if category == "doorbell" and cond.device_is_doorbell is False:
        problems.append(("conditions.device_is_doorbell", "false contradicts category 'doorbell'"))
    decl = profile.declarations
    if cond.uses_passwords is False and decl.authentication.password_scheme is not None:
        problems.append(("declarations.authentication.password_scheme",
                         "declared although conditions.uses_passwords is false"))
    if cond.preinstalled_passwords is False and (
            decl.authentication.preinstalled_password_generation is not None):
        problems.append(("declarations.authentication.preinstalled_password_generation",
                         "declared although conditions.preinstalled_passwords is false"))
    if cond.update_mechanism is False and decl.updates.mechanism:
        problems.append(("declarations.updates.mechanism",
                         ("an update mechanism is described although "
                         "conditions.update_mechanism is false")))
    if cond.telemetry_collected is False and decl.telemetry.examined_for_anomalies is not None:
        problems.append(("declarations.telemetry.examined_for_anomalies",
                         "declared although conditions.telemetry_collected is false"))
    derived = xiaomi_level_from_facts(profile.xiaomi)
    declared = profile.xiaomi.level
    if declared and derived and _LEVEL_ORDER.index(declared) < _LEVEL_ORDER.index(derived):
        problems.append(("xiaomi.level",
                         (f"{declared} is below the level {derived} that the Appendix A facts "
                         "in this profile give")))
    for provision, text in decl.justifications.items():
        if not text.strip():
            problems.append((f"declarations.justifications.{provision}", "empty justification"))
    problems.extend(attestation_problems(decl.attestations))
    return problems


def attestation_problems(attestations: dict[str, Attestation]) -> list[tuple[str, str]]:
    """Each key must name an existing requirement as ``catalog:id``; evidence must be given."""
    if not attestations:
        return []
    from iotbaseline.catalog.loader import CATALOG_IDS, CatalogError, load_catalog, parse_ref

    problems: list[tuple[str, str]] = []
    for ref, attestation in attestations.items():
        where = f"declarations.attestations.{ref}"
        try:
            catalog_id, req_id = parse_ref(ref)
        except CatalogError:
            problems.append((where, "key must be 'catalog:requirement', e.g. 'owasp-isvs:V1.1.1'"))
            continue
        if catalog_id not in CATALOG_IDS:
            problems.append((where, f"unknown catalog {catalog_id!r}"))
            continue
        if not any(r.id == req_id and not r.is_group
                   for r in load_catalog(catalog_id).requirements):
            problems.append((where, f"{catalog_id} has no requirement {req_id!r}"))
        if not attestation.evidence.strip():
            problems.append((where + ".evidence", "empty evidence"))
    return problems


def _error_path(loc: tuple[int | str, ...]) -> tuple[tuple[str | int, ...], str]:
    path = tuple("schema" if part == "schema_" else part for part in loc)
    return path, ".".join(str(p) for p in path)


def _validate(located: LocatedYaml, source: str) -> Profile:
    data = located.data
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise ProfileError(source, [ProfileProblem("", f"top level must be a mapping, got {kind}",
                                                   1)])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path, dotted = _error_path(tuple(err["loc"]))
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown field"
            elif err["type"] == "missing":
                message = "required field is missing"
            problems.append(ProfileProblem(dotted, message, located.line_of(path)))
        raise ProfileError(source, problems) from exc
    problems = [
        ProfileProblem(field, message, located.line_of(tuple(_split_path(field))))
        for field, message in combination_problems(profile)
    ]
    if problems:
        raise ProfileError(source, problems)
    return profile


def _split_path(dotted: str) -> list[str]:
    for mapping in ("justifications", "attestations"):  # their keys contain dots
        head, _, rest = dotted.partition(f".{mapping}.")
        if rest:
            key, evidence, _ = rest.partition(".evidence")
            return [*head.split("."), mapping, key, *(["evidence"] if evidence else [])]
    return dotted.split(".")


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate profile YAML text; ``ProfileError`` names the line and field of each problem."""
    try:
        located = load_located_yaml(text)
    except YamlLoadError as exc:
        dotted = ".".join(str(p) for p in exc.path)
        raise ProfileError(source, [ProfileProblem(dotted, str(exc), exc.line)]) from exc
    return _validate(located, source)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(str(path), [ProfileProblem("", f"cannot read: {exc}")]) from exc
    return parse_profile(text, str(path))
