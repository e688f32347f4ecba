"""Which declarations (profile fields, the IXIT of TS 103 701) can decide which requirements.

``REQUIREMENT_NEEDS`` is the data table the engine reads: for a requirement, the declared facts
it needs and whether it also needs technical evidence (a firmware check or the live probe).
A requirement absent from the table needs technical evidence only. ``DECLARATION_PROVISIONS``
(declaration field → requirements it evidences) is derived from it for ``catalog coverage``
and for the questions to the manufacturer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Need:
    """One declared fact. ``field`` is a dotted path under ``declarations``.

    Booleans: true satisfies, false declares the provision not met (FAIL). Choices: a value in
    ``accept`` satisfies, one in ``reject`` is a FAIL. Text, URLs and lists: present satisfies.
    """

    field: str
    question: str  # what to ask the manufacturer, our words
    accept: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Needs:
    declarations: tuple[Need, ...]
    technical: bool  # also needs a PASS from a check or a probe observation


def _n(field: str, question: str, accept: tuple[str, ...] = (), reject: tuple[str, ...] = ()
       ) -> Need:
    return Need(field, question, frozenset(accept), frozenset(reject))


def _decl(*needs: Need) -> Needs:
    return Needs(needs, technical=False)


def _both(*needs: Need) -> Needs:
    return Needs(needs, technical=True)


_E = "etsi-en-303-645:"
_X = "xiaomi-2.0:"
_T = "tencent-qtx-001.1:"
_I = "owasp-isvs:"

REQUIREMENT_NEEDS: dict[str, Needs] = {
    # ---- ETSI EN 303 645 (IXIT entries in brackets) ----
    # 4-1 is decided from the other verdicts and declarations.justifications (see engine).
    _E + "5.1-1": _both(_n("authentication.password_scheme",
                           "How are device passwords set: unique per device, or chosen by the "
                           "user? [1-AuthMech]",
                           accept=("unique_per_device", "user_defined"), reject=("universal",))),
    _E + "5.1-2": _both(_n("authentication.preinstalled_password_generation",
                           "How are the pre-installed unique passwords generated? [1-AuthMech]",
                           accept=("random",), reject=("derived_from_public_data", "counter"))),
    _E + "5.1-3": _both(_n("authentication.mechanisms",
                           "Which mechanisms authenticate users to the device, and with what "
                           "cryptography? [1-AuthMech]")),
    _E + "5.1-4": _decl(_n("authentication.user_can_change",
                           "Can the user change the authentication value with a simple "
                           "mechanism? [1-AuthMech, 2-UserInfo]")),
    _E + "5.1-5": _both(_n("authentication.brute_force_protection",
                           "How are brute-force attacks over network interfaces made impractical "
                           "(rate limit, back-off, lockout)? [1-AuthMech]")),
    _E + "5.2-1": _decl(
        _n("vulnerability_disclosure.url", "Where is the vulnerability disclosure policy "
           "published (URL)? [2-UserInfo]"),
        _n("vulnerability_disclosure.contact", "Whom do reporters contact? [2-UserInfo]"),
        _n("vulnerability_disclosure.timelines", "What are the timelines for acknowledgement and "
           "status updates? [2-UserInfo]")),
    _E + "5.2-2": _decl(_n("vulnerability_disclosure.acts_on_reports",
                           "Are disclosed vulnerabilities acted on in a timely way? "
                           "[3-VulnTypes, 4-Conf]")),
    _E + "5.2-3": _decl(_n("vulnerability_disclosure.monitoring",
                           "How are vulnerabilities in the product monitored, identified and "
                           "fixed during the support period? [5-VulnMon]")),
    _E + "5.3-1": _decl(_n("updates.all_components_updatable",
                           "Can every software component be updated securely? [6-SoftComp]")),
    _E + "5.3-2": _both(_n("updates.mechanism",
                           "Describe the update mechanism and how it installs updates securely. "
                           "[7-UpdMech]")),
    _E + "5.3-3": _decl(_n("updates.simple_for_user",
                           "Is applying an update simple for the user? [7-UpdMech]")),
    _E + "5.3-4": _decl(_n("updates.automatic",
                           "Are software updates applied automatically? [7-UpdMech]")),
    _E + "5.3-5": _decl(_n("updates.checks_for_updates",
                           "When does the device check for security updates? [7-UpdMech]",
                           accept=("boot_and_periodic",),
                           reject=("periodic", "on_request", "never"))),
    _E + "5.3-6": _decl(_n("updates.enabled_by_default_and_configurable",
                           "Are automatic updates/notifications on by default and can the user "
                           "switch them off or postpone them? [7-UpdMech]")),
    _E + "5.3-7": _both(_n("updates.cryptography",
                           "Which cryptography protects the update mechanism (signatures, "
                           "algorithms, key handling)? [7-UpdMech]")),
    _E + "5.3-8": _decl(_n("updates.security_update_process",
                           "How quickly are security updates delivered after a fix? "
                           "[8-UpdProc]")),
    _E + "5.3-9": _both(_n("updates.verifies_authenticity",
                           "Does the device verify authenticity and integrity of every update? "
                           "[7-UpdMech]")),
    _E + "5.3-10": _both(_n("updates.verifies_authenticity",
                            "Does the device verify each update received over the network "
                            "through a trust relationship? [7-UpdMech]")),
    _E + "5.3-11": _decl(_n("updates.informs_user",
                            "Is the user told clearly when a security update is needed, with "
                            "the risk it mitigates? [7-UpdMech]")),
    _E + "5.3-12": _decl(_n("updates.warns_before_disruption",
                            "Does the device warn the user when an update will interrupt its "
                            "basic function? [7-UpdMech]")),
    _E + "5.3-13": _decl(
        _n("support_period.end", "Until when will the product receive security updates? "
           "[2-UserInfo]"),
        _n("support_period.published_at", "Where is the support period published (URL)? "
           "[2-UserInfo]")),
    _E + "5.3-14": _decl(
        _n("support_period.no_update_rationale", "Why can the product not be updated, and for "
           "how long and how is hardware replacement supported? [2-UserInfo]"),
        _n("support_period.published_at", "Where is the support period published (URL)? "
           "[2-UserInfo]")),
    _E + "5.3-15": _decl(_n("support_period.hardware_replacement",
                            "How can the product be isolated and its hardware replaced? "
                            "[9-ReplSup]")),
    _E + "5.3-16": _both(_n("user_information.model_designation_visible",
                            "Is the model designation recognisable on a label or through a "
                            "physical interface? [2-UserInfo]")),
    _E + "5.4-1": _both(_n("security_parameters.secure_storage",
                           "How are sensitive security parameters stored securely on the "
                           "device? [10-SecParam]")),
    _E + "5.4-2": _decl(_n("security_parameters.identity_tamper_resistance",
                           "How is the hard-coded per-device identity protected against "
                           "tampering? [10-SecParam]")),
    _E + "5.4-3": _both(_n("security_parameters.none_hardcoded_in_software",
                           "Is it confirmed that no critical security parameter is hard-coded in "
                           "the software? [10-SecParam]")),
    _E + "5.4-4": _both(_n("security_parameters.unique_per_device",
                           "Are the keys for update integrity and cloud communication unique per "
                           "device? [10-SecParam]")),
    _E + "5.5-1": _both(_n("communication.mechanisms",
                           "Which protocols and cryptography secure each communication? "
                           "[11-ComMech]")),
    _E + "5.5-2": _decl(_n("communication.reviewed_implementations",
                           "Which reviewed or evaluated implementations are used for network and "
                           "security functions? [12-NetSecImpl]")),
    _E + "5.5-3": _decl(_n("communication.crypto_updatable",
                           "Can cryptographic algorithms and primitives be updated? "
                           "[6-SoftComp]")),
    _E + "5.5-4": _both(_n("services.network_functions_require_auth",
                           "Is network access to device functions allowed only after "
                           "authentication? [13-SoftServ, 1-AuthMech]")),
    _E + "5.5-5": _both(_n("services.config_changes_require_auth",
                           "Do security-relevant configuration changes over the network require "
                           "authentication? [13-SoftServ]")),
    _E + "5.5-6": _both(_n("security_parameters.encrypted_in_transit",
                           "Are critical security parameters encrypted in transit? "
                           "[10-SecParam, 11-ComMech]")),
    _E + "5.5-7": _both(_n("security_parameters.confidential_over_remote_interfaces",
                           "Are critical security parameters kept confidential over remotely "
                           "accessible interfaces? [10-SecParam, 11-ComMech]")),
    _E + "5.5-8": _decl(_n("security_parameters.management_process",
                           "Describe the management process for critical security parameters. "
                           "[14-SecMgmt]")),
    _E + "5.6-1": _both(_n("interfaces.unused_disabled",
                           "Are all unused network and logical interfaces disabled? [15-Intf]")),
    _E + "5.6-2": _both(_n("interfaces.minimal_unauthenticated_disclosure",
                           "Do interfaces avoid disclosing security-relevant information before "
                           "authentication? [15-Intf]")),
    _E + "5.6-3": _decl(_n("interfaces.physical_exposure_minimised",
                           "Are physical interfaces exposed only where needed? [15-Intf]")),
    _E + "5.6-4": _both(_n("interfaces.debug_disabled_in_software",
                           "Is the physically accessible debug interface disabled in software? "
                           "[15-Intf]")),
    _E + "5.6-5": _both(_n("services.only_needed_services_enabled",
                           "Are only the software services needed for the intended use enabled? "
                           "[13-SoftServ]")),
    _E + "5.6-6": _decl(_n("services.code_minimisation",
                           "How is code kept to what the service needs? [16-CodeMin]")),
    _E + "5.6-7": _both(_n("services.least_privilege",
                           "How does software run with least privilege? [17-PrivlCtrl]")),
    _E + "5.6-8": _both(_n("services.memory_access_control",
                           "Which hardware-level memory access control is used? [18-AccCtrl]")),
    _E + "5.6-9": _both(_n("services.secure_development",
                           "Which secure development practices are followed? [19-SecDev]")),
    _E + "5.7-1": _both(_n("secure_boot.mechanism",
                           "Which secure boot mechanism verifies the software? [20-SecBoot]")),
    _E + "5.7-2": _decl(_n("secure_boot.tamper_response",
                           "What does the device do when it detects an unauthorised software "
                           "change? [20-SecBoot]")),
    _E + "5.8-1": _both(_n("personal_data.protected_in_transit",
                           "How is personal data protected between device and services? "
                           "[21-PersData, 11-ComMech]")),
    _E + "5.8-2": _both(_n("personal_data.sensitive_protected_in_transit",
                           "How is sensitive personal data protected between device and "
                           "services? [21-PersData, 11-ComMech]")),
    _E + "5.8-3": _decl(_n("external_sensors.documented_at",
                           "Where are all external sensing capabilities documented (URL)? "
                           "[22-ExtSens]")),
    _E + "5.9-1": _decl(_n("resilience.outage_resilience",
                           "How does the product stay resilient to network and power outages? "
                           "[23-ResMech]")),
    _E + "5.9-2": _decl(_n("resilience.local_operation",
                           "Does the device keep working locally without network and recover "
                           "cleanly after power loss? [23-ResMech]")),
    _E + "5.9-3": _decl(_n("communication.orderly_reconnection",
                           "Does the device (re)connect to networks in an orderly, stable way? "
                           "[11-ComMech]")),
    _E + "5.10-1": _decl(_n("telemetry.examined_for_anomalies",
                            "Is telemetry examined for security anomalies? [24-TelData]")),
    _E + "5.11-1": _decl(_n("data_deletion.device_erase",
                            "How does the user erase user data from the device? [25-DelFunc]")),
    _E + "5.11-2": _decl(_n("data_deletion.service_erase",
                            "How does the user remove personal data from associated services? "
                            "[25-DelFunc]")),
    _E + "5.11-3": _decl(_n("data_deletion.instructions_url",
                            "Where are the instructions for deleting personal data (URL)? "
                            "[25-DelFunc, 2-UserInfo]")),
    _E + "5.11-4": _decl(_n("data_deletion.confirmation",
                            "Does the user get clear confirmation that personal data was "
                            "deleted? [25-DelFunc]")),
    _E + "5.12-1": _decl(_n("user_information.minimal_setup_steps",
                            "Do installation and maintenance need minimal steps and follow "
                            "usable-security practice? [26-UserDec]")),
    _E + "5.12-2": _decl(_n("user_information.secure_setup_guide_url",
                            "Where is the guidance for setting the device up securely (URL)? "
                            "[2-UserInfo]")),
    _E + "5.12-3": _decl(_n("user_information.setup_check_guide_url",
                            "Where is the guidance for checking that the set-up is secure (URL)? "
                            "[2-UserInfo]")),
    _E + "5.13-1": _both(_n("input_validation.description",
                            "How is input validated on user interfaces, APIs and between "
                            "networks? [27-UserIntf, 28-ExtAPI, 29-InpVal]")),
    _E + "6-1": _decl(_n("personal_data.information_url",
                         "Where are consumers told what personal data is processed, by whom "
                         "and why (URL)? [21-PersData, 2-UserInfo]")),
    _E + "6-2": _decl(_n("personal_data.consent_obtained_validly",
                         "Is consent for processing personal data obtained validly? "
                         "[21-PersData]")),
    _E + "6-3": _decl(_n("personal_data.consent_withdrawal",
                         "How can consumers withdraw consent at any time? [21-PersData]")),
    _E + "6-4": _decl(_n("telemetry.personal_data_minimised",
                         "Is personal data in telemetry kept to the minimum needed? "
                         "[24-TelData]")),
    _E + "6-5": _decl(_n("telemetry.information_url",
                         "Where are consumers told what telemetry is collected and why (URL)? "
                         "[24-TelData]")),
    # ---- Xiaomi 2.0: the same facts where a Xiaomi item asks for them ----
    _X + "1.2.1": _both(_n("security_parameters.secure_storage",
                           "How is sensitive information encrypted in flash and other storage?")),
    _X + "1.4": _both(_n("secure_boot.mechanism",
                         "Which secure boot chain verifies bootloader, kernel and root file "
                         "system?")),
    _X + "1.8": _decl(_n("security_parameters.identity_tamper_resistance",
                         "How is the unique hardware identifier protected against tampering?")),
    _X + "2.1.1": _both(_n("updates.verifies_authenticity",
                           "Does the device verify a signature over each update package before "
                           "installing it?")),
    _X + "2.1.5": _decl(_n("vulnerability_disclosure.monitoring",
                           "How are third-party and open-source components inventoried and "
                           "watched for vulnerabilities?")),
    _X + "3.1.3": _both(_n("authentication.brute_force_protection",
                           "How is password guessing on login prevented?")),
    _X + "3.1.4": _both(_n("input_validation.description",
                           "How is input from user interfaces and APIs validated?")),
    _X + "5.6": _decl(_n("data_deletion.service_erase",
                         "How do users delete their personal data held in the cloud?")),
    _X + "5.7": _decl(_n("data_deletion.device_erase",
                         "Does a factory reset wipe all user data and settings?")),
    _X + "6.5": _decl(_n("telemetry.examined_for_anomalies",
                         "Are device logs collected and analysed for security anomalies?")),
    _X + "6.6": _decl(_n("user_information.secure_setup_guide_url",
                         "Where is the guidance for enabling the security features (URL)?")),
    # ---- Tencent Q/TX 001.1 ----
    _T + "5.1.1-3": _decl(_n("interfaces.physical_exposure_minimised",
                             "Does the enclosure avoid exposing unused or debug interfaces?")),
    _T + "5.1.5-3": _both(_n("updates.mechanism",
                             "How is the device (firmware and applications) updated remotely?")),
    _T + "5.1.5-4": _decl(_n("updates.security_update_process",
                             "How quickly are fixes for found vulnerabilities developed and "
                             "pushed?")),
    _T + "5.1.5-6": _both(_n("updates.verifies_authenticity",
                             "Does the device check the integrity (preferably an asymmetric "
                             "signature) of update packages?")),
    _T + "5.1.6-1": _both(_n("services.secure_development",
                             "Is code audited with static analysis and compiled with hardening "
                             "options?")),
}

# Answers for facts about a feature the product may lack (profile.FeatureFact).
_FEATURE = {"accept": ("yes", "not_present"), "reject": ("no",)}


def _f(field: str, question: str) -> Need:
    """A FeatureFact need: yes / not_present satisfy, no is a FAIL."""
    return _n(field, question + " (yes / no / not_present)", **_FEATURE)


# ---- Xiaomi 2.0 and Tencent items that hardware, app, cloud or process decide -------------
REQUIREMENT_NEEDS.update({
    # Xiaomi chapter 1: hardware
    _X + "1.1.2": _decl(_n("physical.debug_markings_removed",
                           "Are labels that identify debug pads (TX/RX, JTAG) left off the "
                           "production board?")),
    _X + "1.1.4": _both(_n("physical.debug_output_masks_secrets",
                           "Does output on the debug/serial console leave out or mask keys, "
                           "tokens, passwords and personal data?")),
    _X + "1.2.2": _decl(_n("physical.chip_readout_protected",
                           "Is the microcontroller's read-out protection enabled so its memory "
                           "cannot be dumped through the debug port?")),
    _X + "1.3": _decl(_f("physical.internal_bus_encrypted",
                         "Is data on internal buses (I2C, SPI) between chips encrypted?")),
    _X + "1.5": _decl(
        _n("physical.enclosure_resists_opening",
           "Does the enclosure resist being pried off or opened (no exposed screws, protected "
           "electronics)?"),
        _f("physical.dismantle_alarm", "Does the device raise an alarm when it is dismantled?")),
    _X + "1.6": _decl(_n("physical.emp_protection",
                         "Are the electronics shielded against strong electromagnetic pulses?")),
    _X + "1.7": _decl(
        _n("physical.lock_cylinder_pick_resistant",
           "Does the lock cylinder and mechanism resist picking through gaps and keyholes?"),
        _n("physical.lock_cards", "Which unlock cards are used (cpu_card / id_card / m1_card / "
           "not_present)?", accept=("cpu_card", "not_present"), reject=("id_card", "m1_card"))),
    # Xiaomi chapter 2: updates and code management
    _X + "2.1.6": _decl(_f("updates.mcu_iap_protected",
                           "Are wired in-application (IAP) updates of microcontroller firmware "
                           "encrypted or signature-checked?")),
    _X + "2.3": _decl(_n("development.source_code_not_public",
                         "Is the device's source code kept off public code hosting and file "
                         "sharing unless approved?")),
    # Xiaomi chapter 4: communication
    _X + "4.1.4": _decl(_n("radio.replay_protection",
                           "Do commands carry counters, rolling codes or session protection so "
                           "captured messages cannot be replayed?")),
    _X + "4.1.5": _decl(_n("radio.protocols_security_approved",
                           "Have all communication protocols the device uses been assessed and "
                           "approved for security?")),
    _X + "4.2.5": _both(_n("radio.hotspot_reaches_device_only",
                           "Does the device's own access point reach only the device itself, "
                           "never the home network or the Internet?")),
    _X + "4.3.1": _decl(_f("radio.ble_pairing_confirmation",
                           "Does BLE binding need a button press or happen only within a short "
                           "window?")),
    _X + "4.3.2": _decl(_f("radio.ble_session_key_per_login",
                           "Is a fresh session key negotiated at each BLE login and used to "
                           "encrypt control commands?")),
    _X + "4.3.3": _decl(_f("radio.ble_advertising_encrypted",
                           "Is sensor data in BLE advertisements encrypted with a key set up at "
                           "binding?")),
    _X + "4.3.4": _decl(_f("radio.ble_mesh_authenticated",
                           "Do Bluetooth mesh nodes authenticate mutually and encrypt sensitive "
                           "data with session keys?")),
    _X + "4.3.5": _decl(_f("radio.ble_version_4_2_or_later",
                           "Does BLE link-layer encryption use protocol version 4.2 or later?")),
    _X + "4.3.6": _decl(_f("radio.ble_vendor_commands_require_binding",
                           "Does the device check that the app is bound before obeying the chip "
                           "vendor's OTA/DFU commands over BLE?")),
    _X + "4.3.7": _decl(_f("radio.ble_advertising_anti_tracking",
                           "Does BLE advertising use random, regularly changing addresses and "
                           "encrypted content?")),
    _X + "4.3.8": _decl(_f("radio.ble_app_level_encryption",
                           "Is sensitive data exchanged over BLE with Android apps encrypted at "
                           "application level?")),
    _X + "4.4.1": _both(_n("radio.zigbee_joining",
                           "How do Zigbee devices join (install_codes / default_link_key / "
                           "not_present)?", accept=("install_codes", "not_present"),
                           reject=("default_link_key",))),
    _X + "4.5.1": _decl(_n("radio.rf_sequence_numbers",
                           "How long are sequence numbers in proprietary RF packets "
                           "(4_bytes_or_more / shorter / not_present)?",
                           accept=("4_bytes_or_more", "not_present"), reject=("shorter",))),
    _X + "4.5.3": _decl(_f("radio.rf_frequency_hopping",
                           "Does proprietary RF communication use frequency hopping?")),
    # Xiaomi chapter 5: data and privacy
    _X + "5.2": _both(_n("development.strong_random_source",
                         "Which source provides random numbers for authentication and "
                         "cryptography (e.g. hardware TRNG, /dev/urandom, a CSPRNG)?")),
    _X + "5.3": _both(_n("privacy.telemetry_excludes_sensitive_data",
                         "Do logs and telemetry uploads leave out sensitive data (Wi-Fi "
                         "credentials, IMEI, location …) unless justified in the privacy "
                         "policy?")),
    _X + "5.4": _decl(_n("privacy.region_based_routing",
                         "Are network requests routed by the user's country or region so data "
                         "does not cross borders against local rules?")),
    _X + "5.5": _decl(_n("cloud.sensitive_data_encrypted_at_rest",
                         "Is sensitive user content (video, audio, images, documents) stored "
                         "encrypted in the cloud?")),
    # Xiaomi chapter 6: binding
    _X + "6.1": _decl(_n("binding.binding_window_limited",
                         "Does an unbound device stop accepting binding 30 minutes after "
                         "power-on until it is power-cycled?")),
    _X + "6.2": _decl(_n("binding.confirmed_on_device",
                         "Is binding confirmed on the device itself (out of band)?")),
    _X + "6.3": _decl(_n("binding.reset_before_rebinding",
                         "Must the device be reset before it accepts a new binding?")),
    _X + "6.4": _decl(_n("binding.cloud_records_owner",
                         "Does the cloud record which user account each device ID belongs to "
                         "(strong binding)?")),
    # Tencent 5.1.1-5.1.4: hardware
    _T + "5.1.1-1": _decl(_n("physical.enclosure_resists_opening",
                             "Is the enclosure closed so it cannot be opened quickly without "
                             "tools (e.g. screws)?")),
    _T + "5.1.1-2": _decl(_n("physical.electrical_safety_compliant",
                             "Does the product meet GB 4943.1 (or an equivalent) electrical "
                             "safety standard?")),
    _T + "5.1.1-4": _decl(_f("physical.privileged_operations_protected",
                             "On public-service devices with a screen or keyboard, are admin "
                             "and debug modes protected by a password or similar?")),
    _T + "5.1.1-5": _decl(_f("physical.privileged_buttons_hidden",
                             "Do public-service devices avoid exposing reset or reboot "
                             "buttons?")),
    _T + "5.1.2-1": _decl(_n("physical.debug_markings_removed",
                             "Are silkscreen labels of debug and programming pads removed from "
                             "the board?")),
    _T + "5.1.3-1": _decl(_f("sensing.microphone_audible_range_only",
                             "Are microphones of voice-controlled devices limited to the "
                             "audible range, against ultrasonic command injection?")),
    _T + "5.1.3-2": _decl(_f("sensing.face_liveness_detection",
                             "Do face-recognition cameras use 3D sensing and liveness "
                             "detection?")),
    _T + "5.1.3-3": _decl(_f("sensing.fingerprint_liveness_detection",
                             "Do fingerprint sensors detect fake fingers (liveness)?")),
    _T + "5.1.3-4": _decl(_f("sensing.positioning_not_gps_only",
                             "Is positioning and time taken from GPS together with Wi-Fi "
                             "assistance rather than GPS alone?")),
    _T + "5.1.4-1": _decl(_f("physical.flash_package_bga",
                             "Is a separate flash chip in a BGA package?")),
    _T + "5.1.4-2": _decl(_n("physical.chip_readout_protected",
                             "Are MCU/secure-element fuses blown in production so internal data "
                             "cannot be read out?")),
    _T + "5.1.4-3": _decl(_f("physical.mcu_security_features_used",
                             "Where the MCU offers it, is debug/read-write/boot-mode access "
                             "locked and the firmware encrypted and verified?")),
    # Tencent 5.1.5-5.1.6: updates, third-party code
    _T + "5.1.5-5": _decl(_n("updates.packages_encrypted",
                             "Are update packages encrypted?")),
    _T + "5.1.6-2": _both(_n("development.third_party_risk_review",
                             "How are third-party libraries with many past vulnerabilities or "
                             "no maintenance identified and avoided?")),
    # Tencent 5.1.7: the companion app
    _T + "5.1.7-1": _decl(_n("app.user_authentication_with_policy",
                             "Does the app authenticate users and enforce credential "
                             "complexity?")),
    _T + "5.1.7-2": _decl(_n("app.sensitive_data_encrypted",
                             "Does the app store sensitive data encrypted, in access-controlled "
                             "locations?")),
    _T + "5.1.7-3": _decl(_n("app.keys_protected",
                             "Are the app's encryption keys kept so they cannot be read out "
                             "directly?")),
    _T + "5.1.7-4": _decl(_n("app.logs_free_of_user_data",
                             "Are the app's logs free of user-related data?")),
    _T + "5.1.7-5": _decl(_n("app.requests_signed",
                             "Is data the app sends to the server integrity-protected with a "
                             "keyed signature?")),
    _T + "5.1.7-6": _decl(_n("app.code_hardened",
                             "Is the app shipped with obfuscation, packing or similar "
                             "hardening?")),
    _T + "5.1.7-7": _decl(_n("app.anti_debugging",
                             "Does the app detect and resist dynamic debugging?")),
    _T + "5.1.7-8": _decl(_n("app.verifies_own_signature",
                             "Does the app verify its own signature against repackaging?")),
    _T + "5.1.7-9": _decl(_n("app.integrity_checked_at_start_and_update",
                             "Does the app check its authenticity and integrity at start and on "
                             "update?")),
    _T + "5.1.7-10": _decl(_n("app.trusted_release_channels",
                              "Is the app released through a defined process and trustworthy "
                              "download and update channels?")),
    _T + "5.1.7-11": _decl(_n("app.uninstall_removes_data",
                              "Does uninstalling the app remove its caches, logs and other "
                              "data?")),
    # Tencent 5.2: communication
    _T + "5.2.1-2": _decl(_f("radio.ble_gatt_access_restricted",
                             "Is read/write access to sensitive BLE GATT attributes "
                             "restricted?")),
    _T + "5.2.1-3": _decl(_n("radio.replay_protection",
                             "Do proprietary RF protocols resist replay (authenticated "
                             "encryption, sequence checks)?")),
    _T + "5.2.1-5": _decl(_n("radio.lorawan_join",
                             "How do LoRaWAN devices join (otaa / abp_random_keys / "
                             "abp_fixed_keys / not_present)?",
                             accept=("otaa", "abp_random_keys", "not_present"),
                             reject=("abp_fixed_keys",))),
    _T + "5.2.1-6": _decl(_n("radio.avoids_2g_3g",
                             "Does the device avoid 2G/3G cellular connectivity?")),
    _T + "5.2.2-0": _decl(_n("security_parameters.identity_tamper_resistance",
                             "How is the device's unique ID made unforgeable and protected "
                             "against hardware tampering (OTP, security chip, …)?")),
    _T + "5.2.2-1": _decl(_n("cloud.device_id_provisioning_confidential",
                             "Are device IDs kept confidential while they are provisioned "
                             "(factory or cloud)?")),
    _T + "5.2.2-2": _decl(_n("cloud.tencent_iot_guidance_followed",
                             "On the Tencent Cloud IoT platform, was device onboarding built "
                             "following its documentation (yes / no / not_tencent_platform)?",
                             accept=("yes", "not_tencent_platform"), reject=("no",))),
    _T + "5.2.2-4": _decl(_n("cloud.tencent_iot_guidance_followed",
                             "On the Tencent Cloud IoT platform, was device authentication "
                             "built following its documentation (yes / no / "
                             "not_tencent_platform)?",
                             accept=("yes", "not_tencent_platform"), reject=("no",))),
    _T + "5.2.4-1": _decl(_n("network.throughput_and_latency_met",
                             "Is throughput above 10 kbit/s and latency below 200 ms?")),
    _T + "5.2.4-2": _decl(_f("network.lock_unlock_latency_met",
                             "Does a lock open within 10 s of a remote and 3 s of a local "
                             "unlock request?")),
    _T + "5.2.4-3": _decl(_n("network.link_stability_met",
                             "Is packet loss below 10 % with retransmission, and do long-lived "
                             "connections keep alive with heartbeats?")),
    # Tencent 5.3: the cloud platform
    _T + "5.3.1-1": _decl(_n("cloud.hosting",
                             "Where is the platform hosted (private_data_centre / "
                             "shared_isolated / tencent_cloud_vpc / shared_not_isolated)?",
                             accept=("private_data_centre", "shared_isolated",
                                     "tencent_cloud_vpc"),
                             reject=("shared_not_isolated",))),
    _T + "5.3.1-2": _decl(_n("cloud.hosting",
                             "In a shared facility, is the platform isolated at network level "
                             "from other tenants?",
                             accept=("private_data_centre", "shared_isolated",
                                     "tencent_cloud_vpc"),
                             reject=("shared_not_isolated",))),
    _T + "5.3.1-3": _decl(_n("cloud.hosting",
                             "Is a VPC (or equivalent isolation) used in shared environments?",
                             accept=("private_data_centre", "shared_isolated",
                                     "tencent_cloud_vpc"),
                             reject=("shared_not_isolated",))),
    _T + "5.3.3-1": _decl(_n("cloud.attack_defence",
                             "Do Internet-facing services have DDoS protection, web attack "
                             "blocking and host intrusion detection?")),
    _T + "5.3.3-3": _decl(_n("cloud.server_components_current",
                             "Are open-source server components current official releases "
                             "without known vulnerabilities?")),
    _T + "5.3.4-1": _decl(_n("cloud.sensitive_data_encrypted_at_rest",
                             "Is personal and sensitive data stored encrypted in the "
                             "databases?")),
    _T + "5.3.4-2": _decl(_n("cloud.databases_not_internet_exposed",
                             "Are databases kept off the Internet behind strict internal access "
                             "control?")),
    _T + "5.3.4-3": _decl(_n("cloud.database_access_controlled",
                             "Does database access follow the access control, authentication "
                             "and account rules?")),
    _T + "5.3.4-4": _decl(_n("cloud.data_access_audited",
                             "Is every data access logged and audited for anomalies?")),
    _T + "5.3.4-5": _decl(_n("cloud.transport_encrypted",
                             "Is sensitive data encrypted and integrity-protected in "
                             "transit?")),
    _T + "5.3.4-6": _decl(_n("cloud.least_privilege_data_access",
                             "Are data accessors authenticated and authorised on least "
                             "privilege, with illegal access blocked and logged?")),
    _T + "5.3.4-7": _decl(_n("cloud.sensitive_data_masked",
                             "Is sensitive data masked when displayed?")),
    _T + "5.3.4-8": _decl(_n("cloud.interfaces_validate_input",
                             "Do external interfaces validate URL parameters and user "
                             "operations?")),
    _T + "5.3.4-9": _decl(_n("cloud.access_logs_retained",
                             "Are web access logs and user operation records retained?")),
    _T + "5.3.5-1": _decl(_n("cloud.security_testing_and_fixing",
                             "Is the platform's code security-tested and are defects fixed?")),
    _T + "5.3.5-2": _decl(_n("cloud.hardened",
                             "Is the platform hardened (minimal services, patches, default "
                             "passwords changed, least-privilege accounts)?")),
    _T + "5.3.5-3": _decl(_n("cloud.intrusion_detection",
                             "Does the platform detect and alert on intrusions with source, "
                             "type, target and time?")),
    _T + "5.3.5-4": _decl(_n("cloud.malware_detection",
                             "Does the platform detect malicious code and isolate backdoors?")),
    _T + "5.3.5-5": _decl(_n("cloud.remote_management_monitored",
                             "Are remote management connections monitored and unauthorised "
                             "ones cut?")),
    _T + "5.3.5-6": _decl(_n("cloud.privileged_commands_restricted",
                             "Is remote execution of privileged management commands "
                             "restricted?")),
    _T + "5.3.5-7": _decl(_n("cloud.secure_boot",
                             "Do the platform's servers boot only the expected, intact "
                             "software?")),
    _T + "5.3.5-8": _decl(_n("cloud.config_integrity_checked",
                             "Is the integrity of important configuration files checked?")),
    _T + "5.3.5-9": _decl(_n("cloud.minimal_installation",
                             "Are only the needed components and applications installed?")),
    _T + "5.3.5-10": _decl(_n("cloud.resource_monitoring",
                              "Are the platform's resources monitored centrally?")),
    # OWASP ISVS items a firmware check covers only in part: the maker's fact is needed too.
    # (Every other ISVS item can be answered through declarations.attestations.)
    _I + "V1.2.3": _both(_n("development.release_build_secure_defaults",
                            "Is the shipped firmware a release build configured with secure "
                            "defaults (no debug build or debug settings)?")),
    _I + "V1.2.4": _both(_n("interfaces.debug_disabled_in_software",
                            "Are debugging interfaces (JTAG, SWD, serial console) disabled or "
                            "protected before the device ships?")),
    _I + "V1.3.3": _both(_n("development.banned_functions_replaced",
                            "Are banned C functions (strcpy, gets, sprintf …) replaced with "
                            "bounded equivalents throughout the code?")),
    _I + "V4.5.3": _both(_n("radio.zigbee_joining",
                            "How do Zigbee devices join (install_codes / default_link_key / "
                            "not_present)?", accept=("install_codes", "not_present"),
                            reject=("default_link_key",))),
    _I + "V1.4.4": _both(_n("privacy.logs_free_of_secrets",
                            "Do collected device logs leave out PII, credentials and keys?")),
    _I + "V2.3.2": _both(_n("data_deletion.device_erase",
                            "How are PII and credentials removed from the device when it is "
                            "decommissioned or changes owner?")),
    _I + "V2.4.3": _both(_n("development.strong_random_source",
                            "Which secure randomness source (OS CSPRNG, hardware RNG) serves "
                            "all security needs?")),
})


def _derive_declaration_provisions() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for ref, needs in REQUIREMENT_NEEDS.items():
        for need in needs.declarations:
            index.setdefault(need.field, []).append(ref)
    index.setdefault("justifications", []).append(_E + "4-1")
    return {field: tuple(refs) for field, refs in index.items()}


DECLARATION_PROVISIONS: dict[str, tuple[str, ...]] = _derive_declaration_provisions()
"""Declaration field (dotted, under ``declarations``) → the ``catalog:id`` it evidences."""


@cache
def _technical_refs() -> frozenset[str]:
    from iotbaseline.catalog.coverage import collect_sources

    sources = collect_sources()
    return frozenset(sources.checks) | sources.probe


def technically_evidenced(ref: str) -> bool:
    """Whether any firmware check (IOTB-VULN-* included) or probe check can evidence ``ref``:
    then an attestation alone cannot make it PASS."""
    try:
        return ref in _technical_refs()
    except ImportError:  # a stage not installed: be strict, ask for technical evidence
        return True
