"""`iotbaseline probe HOST`: the live device probe → DIR/probe.json.

Only HOST is contacted (resolved once and shown); ranges, CIDR, broadcast and multicast are
refused. Password-trying tests run only with their flags."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from iotbaseline.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    console,
    err_console,
    output_dir_problem,
    write_debug_log,
)
from iotbaseline.model import ProbeResult, Severity


def _rate(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/s)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{text!r}: give a positive rate like 50/s")
    return float(match.group(1))


def _udp_ports(values: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    out = []
    for value in values:
        kind, sep, port = value.partition("=")
        if not sep or kind not in ("dns", "snmp", "ssdp", "mdns", "coap") or not port.isdigit():
            raise click.BadParameter(f"{value!r}: use KIND=PORT with KIND one of dns, snmp, "
                                     "ssdp, mdns, coap")
        out.append((int(port), kind))
    return tuple(out)


def summary_table(result: ProbeResult) -> Table:
    table = Table(title=f"Probe of {result.target} ({result.address})")
    table.add_column("severity")
    table.add_column("check")
    table.add_column("where")
    table.add_column("finding", overflow="fold")
    styles = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
              Severity.LOW: "cyan", Severity.INFO: "dim"}
    for finding in sorted(result.findings, key=lambda f: -f.severity.rank):
        loc = finding.location
        where = f"{loc.port}/{loc.protocol}" if loc.port else (loc.protocol or "")
        table.add_row(f"[{styles[finding.severity]}]{finding.severity.value}[/]", finding.check,
                      where, finding.redacted and finding.message or finding.message)
    return table


def ports_table(result: ProbeResult) -> Table:
    table = Table(title="Services")
    table.add_column("port", justify="right")
    table.add_column("service")
    table.add_column("banner", overflow="fold")
    for obs in result.observations:
        if obs.id.startswith("tcp/") and obs.id.endswith("/service"):
            table.add_row(str(obs.port), str(obs.protocol), str(obs.data.get("banner", ""))[:80])
        elif obs.id.startswith("udp/") and obs.id.count("/") == 2:
            table.add_row(f"{obs.port}/udp", str(obs.protocol), obs.summary[:80])
    return table


@click.command(name="probe")
@click.argument("host")
@click.option("--ports", "ports_spec", default="iot", show_default=True,
              help="TCP ports: iot (default IoT set), top, all, or a list like 22,80,8000-8100.")
@click.option("--udp", is_flag=True, help="Also ask the UDP services (DNS 53, SNMP 161, SSDP 1900, "
              "mDNS 5353, CoAP 5683).")
@click.option("--udp-port", "udp_ports", multiple=True, metavar="KIND=PORT",
              help="Ask a UDP service on another port (repeatable), e.g. snmp=1161.")
@click.option("--nmap", "use_nmap", is_flag=True, help="Add nmap -sV service detection "
              "(when nmap is installed).")
@click.option("--profile", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Device profile (YAML); validated and recorded in probe.json.")
@click.option("--credentials", "credentials_path", type=click.Path(path_type=Path, exists=True,
              dir_okay=False), help="Extra user:password pairs to try, and 'correct "
              "user:password' = the working login for --test-lockout.")
@click.option("--try-default-credentials", is_flag=True,
              help="Try known default credentials on telnet/FTP/SSH/HTTP logins.")
@click.option("--max-default-attempts", type=click.IntRange(1, 200), default=12,
              show_default=True, help="Shipped default pairs tried per login.")
@click.option("--test-lockout", is_flag=True,
              help="Send wrong logins, then check the device delays, locks or rate-limits.")
@click.option("--lockout-attempts", type=click.IntRange(3, 50), default=10, show_default=True,
              help="Wrong logins sent by --test-lockout.")
@click.option("--rate", "rate_text", default="50/s", show_default=True,
              help="New connections per second at most.")
@click.option("--login-rate", "login_rate_text", default="2/s", show_default=True,
              help="Login attempts per second at most.")
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True,
              help="Seconds per connection or exchange.")
@click.option("--ca-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Maker CA (PEM) to validate the device's certificates against.")
@click.option("--firmware-results", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="assessment.json (or findings JSON) of the device's firmware scan.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path),
              default=Path("iotbaseline-probe"), show_default=True,
              help="Directory for probe.json.")
@click.option("--show-secrets", is_flag=True, help="Keep accepted default passwords in "
              "probe.json.")
def command(host: str, ports_spec: str, udp: bool, udp_ports: tuple[str, ...], use_nmap: bool,
            profile: Path | None, credentials_path: Path | None, try_default_credentials: bool,
            max_default_attempts: int, test_lockout: bool, lockout_attempts: int,
            rate_text: str, login_rate_text: str, timeout: float, ca_file: Path | None,
            firmware_results: Path | None, out_dir: Path, show_secrets: bool) -> None:
    """Probe one live device: open ports, services and banners, TLS (sslyze), web UI, MQTT,
    and, when asked, default credentials and brute-force protection. Writes DIR/probe.json
    for `scan --probe-results` / `assess --probe-results`.

    Exit codes: 0 done; 2 bad target or option; 3 internal error."""
    from iotbaseline.probe.login import load_credentials
    from iotbaseline.probe.ports import parse_ports
    from iotbaseline.probe.run import run_probe
    from iotbaseline.probe.session import ProbeSettings
    from iotbaseline.probe.target import ProbeError, resolve_target

    try:
        problem = output_dir_problem(out_dir)  # found now, not after the whole probe
        if problem:
            raise ProbeError(problem)
        if firmware_results is not None:  # a bad file is found now, not after the whole probe
            from iotbaseline.probe.drift import predicted_services

            predicted_services(firmware_results)
        target = resolve_target(host)
        ports = parse_ports(ports_spec)
        creds = load_credentials(credentials_path) if credentials_path else None
        if profile is not None:
            from iotbaseline.assess.profile import ProfileError, load_profile

            try:
                load_profile(profile)
            except ProfileError as exc:
                raise ProbeError(f"{profile}: {exc}") from exc
        settings = ProbeSettings(
            ports=ports, udp=udp or bool(udp_ports), udp_services=_udp_ports(udp_ports),
            rate=_rate(rate_text), lockout_rate=_rate(login_rate_text), timeout=timeout,
            nmap=use_nmap, try_default_credentials=try_default_credentials,
            credentials=creds.candidates if creds else (),
            correct_login=creds.correct if creds else None,
            max_default_attempts=max_default_attempts, test_lockout=test_lockout,
            lockout_attempts=lockout_attempts, firmware_results=firmware_results,
            ca_file=ca_file)
    except (ProbeError, click.BadParameter) as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    err_console.print(f"probing [bold]{target.name}[/] = {target.address} (this address only)",
                      highlight=False)
    try:
        if err_console.is_terminal:
            with err_console.status("probing…") as status:
                result = run_probe(target, settings,
                                   progress=lambda m: status.update(f"[bold]{m}[/]…"))
        else:
            result = run_probe(target, settings,
                               progress=lambda m: print(f"iotbaseline: {m}…", file=sys.stderr))
    except ProbeError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    except Exception:  # noqa: BLE001 - mapped to exit 3 with the trace in a log
        log = write_debug_log(out_dir)
        err_console.print(f"[red]internal error[/]: see {log}", soft_wrap=True)
        sys.exit(EXIT_INTERNAL)
    if profile is not None:
        result.options["profile"] = str(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = result.model_dump(mode="json", by_alias=True)
    if not show_secrets:
        for finding in data["findings"]:
            finding.pop("secret", None)
    import json

    (out_dir / "probe.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    table = ports_table(result)
    if table.row_count:
        console.print(table)
    else:  # an empty table reads like a display fault
        console.print(f"no port answered among the {len(settings.ports)} TCP port(s) probed"
                      + (" or the UDP services asked" if settings.udp else ""), highlight=False)
    if result.findings:
        console.print(summary_table(result))
    counts = Counter(f.severity.value for f in result.findings)
    console.print(f"{len(result.findings)} finding(s) "
                  + (f"({', '.join(f'{v} {k}' for k, v in counts.items())}) " if counts else "")
                  + f"in {result.seconds:.1f} s; {len(result.errors)} error(s); "
                  f"written {out_dir / 'probe.json'}", highlight=False)
    for message in result.errors[:10]:
        err_console.print(f"[yellow]probe error:[/] {message}", highlight=False)
    sys.exit(EXIT_OK)
