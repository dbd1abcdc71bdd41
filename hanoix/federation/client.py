"""The raw HTTP client of the node-to-node API (httpx), kept apart from the domain.

It knows URLs, headers, TLS and limits; it does not know what an envelope means. Every call
returns a :class:`RawResponse` (status, bounded body, headers) or raises
:class:`~hanoix.federation.errors.DeliveryError` when nothing usable came back: the peer is
unreachable, too slow, its certificate does not match the pin, or its answer is too large.
The worker (:mod:`hanoix.runtime.worker`) maps responses onto delivery outcomes.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from hanoix.federation.errors import DeliveryError, FederationConfigError
from hanoix.federation.transport import TlsIdentity, client_context, der_fingerprint

if TYPE_CHECKING:
    from hanoix.federation.directory import NodeEntry
from hanoix.logs import get_logger

API_PATH = "/federation/v1"
MAX_RESPONSE_BYTES = 1024 * 1024
ENVELOPE_MEDIA_TYPE = "application/vnd.hanoix.envelope+json"
USER_AGENT = "hanoix-federation/1"

_log = get_logger(__name__)


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PeerClient:
    """One peer's node-to-node API. Thread-safe; keeps connections alive."""

    def __init__(
        self,
        base_url: str,
        *,
        tls: TlsIdentity | None = None,
        peer_certificate: str | None = None,
        pins: Collection[str] = (),
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_response: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # The SHA-256 of each certificate the peer may present (two during a rotation).
        self.pins = frozenset(pins)
        self.max_response = max_response
        verify: ssl.SSLContext | bool = False
        if self.base_url.startswith("https://") and transport is None:
            if tls is None or peer_certificate is None or not self.pins:
                raise FederationConfigError(
                    f"{self.base_url}: HTTPS to a peer needs this node's TLS identity and the "
                    "peer's certificate pinned in the directory"
                )
            verify = client_context(tls, peer_certificate)
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._client = httpx.Client(
            base_url=self.base_url + API_PATH,
            verify=verify,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
            follow_redirects=False,
        )

    @classmethod
    def for_entry(
        cls,
        entry: NodeEntry,
        tls: TlsIdentity,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> PeerClient:
        """The client of the peer the directory ``entry`` describes: its address, and the
        certificates it may present pinned."""
        return cls(
            entry.base_url,
            tls=tls,
            peer_certificate="".join(entry.tls_certificates) or None,
            pins=entry.tls_pins,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def close(self) -> None:
        self._client.close()

    def _check_pin(self, response: httpx.Response) -> None:
        if not self.pins or not self.base_url.startswith("https://"):
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        if der is None or der_fingerprint(der) not in self.pins:
            raise DeliveryError(
                f"{self.base_url} presented a TLS certificate that is not the one pinned in the "
                "directory"
            )

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RawResponse:
        """One call; the answer's body is read up to ``max_response`` bytes."""
        try:
            with self._client.stream(
                method, path, content=content, headers=headers, params=params
            ) as response:
                self._check_pin(response)
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_response:
                        raise DeliveryError(
                            f"{self.base_url} answered {method} {path} with more than "
                            f"{self.max_response} bytes",
                            status=response.status_code,
                        )
                return RawResponse(response.status_code, bytes(body), dict(response.headers))
        except httpx.TimeoutException as exc:
            raise DeliveryError(
                f"{self.base_url} did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise DeliveryError(
                f"{self.base_url} is unreachable: {exc or type(exc).__name__}"
            ) from None

    # --- the node-to-node API ---------------------------------------------------------------

    def post_envelope(self, data: bytes) -> RawResponse:
        return self.request(
            "POST", "/envelopes", content=data, headers={"Content-Type": ENVELOPE_MEDIA_TYPE}
        )

    def post_envelopes(
        self,
        envelopes: list[bytes],
        receipts: Sequence[str] | None = None,
        signed: dict[str, Any] | None = None,
    ) -> RawResponse:
        """Several envelopes in one request (``POST /envelopes/batch``); ``receipts``: the
        receipt formats accepted, preferred first (None: the member is left out, and the
        peer answers ``hanoix-receipt/1``); ``signed``: the ``hanoix-batch/1`` signature over
        them all, which their ``hanoix-envelope/2`` need."""
        batch: dict[str, Any] = {
            "envelopes": [base64.b64encode(e).decode("ascii") for e in envelopes]
        }
        if receipts is not None:
            batch["receipts"] = list(receipts)
        if signed is not None:
            batch["batch"] = signed
        body = json.dumps(batch).encode()
        return self.request(
            "POST", "/envelopes/batch", content=body, headers={"Content-Type": "application/json"}
        )

    def transfer_offset(self, transfer_id: str) -> RawResponse:
        return self.request("HEAD", f"/transfers/{transfer_id}")

    def announce_transfer(self, transfer_id: str, envelope: bytes) -> RawResponse:
        """Open (or look up) a transfer with its signed envelope; answers Hanoix-Offset."""
        return self.request(
            "POST",
            f"/transfers/{transfer_id}",
            content=envelope,
            headers={"Content-Type": ENVELOPE_MEDIA_TYPE},
        )

    def put_chunk(
        self,
        transfer_id: str,
        *,
        offset: int,
        total: int,
        sha256: str,
        sender: str,
        data: bytes | Iterable[bytes],
        length: int | None = None,
    ) -> RawResponse:
        """One chunk; ``data`` may be an iterable of pieces (streamed, with ``length``)."""
        headers = {
            "Content-Type": "application/octet-stream",
            "Hanoix-Transfer-Size": str(total),
            "Hanoix-Transfer-Sha256": sha256,
            "Hanoix-Sender": sender,
        }
        if length is not None:
            headers["Content-Length"] = str(length)
        return self.request(
            "PUT",
            f"/transfers/{transfer_id}",
            content=data,
            params={"offset": offset},
            headers=headers,
        )

    def get_checkpoint(self, since: int, witness: str) -> RawResponse:
        return self.request("GET", "/checkpoint", params={"since": since, "witness": witness})

    def post_witness(self, body: bytes) -> RawResponse:
        return self.request(
            "POST", "/witness", content=body, headers={"Content-Type": "application/json"}
        )

    def get_identity(self) -> RawResponse:
        return self.request("GET", "/identity")

    def get_letter_issue(self, reference: str, index: int, size: int, sha256: str) -> RawResponse:
        return self.request(
            "GET",
            f"/letters/{reference}/issue",
            params={"index": index, "size": size, "document": sha256},
        )
