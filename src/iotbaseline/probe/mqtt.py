"""MQTT with paho-mqtt: does the broker answer, accept anonymous clients, and let them
subscribe to every topic ('#')? Blocking code, run in a thread by the caller."""

from __future__ import annotations

import ssl
import time
import uuid
from typing import Any

from iotbaseline.probe.session import ProbeSession

SUBSCRIBE_WAIT = 1.0  # seconds to count messages after a granted '#' subscription


def _client(tls: bool) -> Any:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"iotbaseline-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv311)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        client.tls_set_context(ctx)
    return client


def _pump(client: Any, until: Any, deadline: float) -> None:
    while not until() and time.monotonic() < deadline:
        rc = client.loop(timeout=0.1)
        if rc != 0:
            break


def mqtt_connect(session: ProbeSession, port: int, tls: bool, username: str | None = None,
                 password: str | None = None, subscribe_all: bool = False
                 ) -> dict[str, Any] | None:
    """CONNECT (anonymous unless a username is given); None when no CONNACK came back.

    With ``subscribe_all`` and an accepted connection, subscribe to '#' and count what
    arrives in a second (topic names only, never payloads)."""
    client = _client(tls)
    state: dict[str, Any] = {}

    def on_connect(_c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        state["connack"] = reason

    def on_subscribe(_c: Any, _u: Any, _mid: Any, reasons: Any, _props: Any) -> None:
        state["suback"] = list(reasons)

    def on_message(_c: Any, _u: Any, message: Any) -> None:
        topics = state.setdefault("topics", [])
        if len(topics) < 50 and message.topic not in topics:
            topics.append(message.topic[:200])
        state["messages"] = state.get("messages", 0) + 1

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    if username is not None:
        client.username_pw_set(username, password)
    address = session.allow(port)
    timeout = session.settings.timeout
    try:
        client.connect(address, port, keepalive=10)
        _pump(client, lambda: "connack" in state, time.monotonic() + timeout)
        if "connack" not in state:
            return None
        reason = state["connack"]
        accepted = not reason.is_failure
        result: dict[str, Any] = {"accepted": accepted, "reason": str(reason),
                                  "reason_code": int(reason.value), "tls": tls,
                                  "username": username}
        if accepted and subscribe_all:
            client.subscribe("#", qos=0)
            _pump(client, lambda: "suback" in state, time.monotonic() + timeout)
            granted = [r for r in state.get("suback", []) if not r.is_failure]
            result["subscribe_all"] = bool(granted)
            result["suback"] = [str(r) for r in state.get("suback", [])]
            if granted:
                _pump(client, lambda: False, time.monotonic() + SUBSCRIBE_WAIT)
                result["messages_seen"] = state.get("messages", 0)
                result["topics_seen"] = state.get("topics", [])
        return result
    except (OSError, ssl.SSLError, ValueError, UnicodeError):
        return None
    except Exception:  # noqa: BLE001 - paho raises assorted errors on non-MQTT peers
        return None
    finally:
        try:
            client.disconnect()
        except Exception:  # noqa: BLE001
            pass
        try:
            client.socket() and client.socket().close()
        except Exception:  # noqa: BLE001
            pass
