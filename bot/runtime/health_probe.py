"""`oiwatch health`, the container's HEALTHCHECK: asks this replica's /healthz where its own
settings say it listens, so an operator who moves OIWATCH_HTTP_HOST or OIWATCH_HTTP_PORT does
not also have to edit the image's check."""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request

from bot.config import Settings

TIMEOUT_S = 4.0
# A wildcard listen address takes connections on loopback; the check must not dial 0.0.0.0.
LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def healthz_url(settings: Settings) -> str | None:
    """None when OIWATCH_HTTP_PORT=0 turned the endpoint off."""
    if settings.http_port == 0:
        return None
    host = LOOPBACK.get(settings.http_host, settings.http_host)
    try:
        bracketed = ipaddress.ip_address(host).version == 6
    except ValueError:
        bracketed = False  # a name, not an address
    netloc = f"[{host}]" if bracketed else host
    return f"http://{netloc}:{settings.http_port}/healthz"


def probe(settings: Settings) -> tuple[bool, str]:
    """(healthy, the one line to print)."""
    url = healthz_url(settings)
    if url is None:
        return True, "OIWATCH_HTTP_PORT=0: /healthz is off, nothing to check"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return True, f"{response.status} {response.read().decode(errors='replace')}"
    except urllib.error.HTTPError as error:  # 503: the body says what is wrong
        return False, f"{error.code} {error.read().decode(errors='replace')}"
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return False, f"{url}: {reason}"
