"""PAdES signatures on letters (pyHanko): signing with the node's certificate, and reading a
signature back as facts for the verifier to judge.

The certificate is the node's TLS certificate (ECDSA P-256, ``tls.crt``), the one certificate
the signed directory of nodes publishes for a node (``tls_certificate``): a verifier binds the
signer to the requesting authority's node by finding that certificate, byte for byte, in the
directory entry of a node of the requesting State that serves the letter's authority
(docs/letters.md, "The signer"). ECDSA P-256 is what PDF readers check (pdfsig, Acrobat); the
node's Ed25519 envelope keys are not, in CMS. The signature's widget lies over the letter's own
signature block (which says who signed), with an empty appearance: a reader's click there opens
the signature's status, and no stamp is drawn, since pyHanko's text stamps bring a font PDF/A
forbids.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from hanoix.errors import InputError
from hanoix.letters.typeset import SignaturePlace

FIELD_NAME = "RequestLetterSignature"


def _der(data: bytes) -> bytes:
    if pem.detect(data):
        _kind, _headers, der = pem.unarmor(data)
        return bytes(der)
    return data


def sign(
    pdf: bytes,
    *,
    key_pem: bytes,
    certificate_pem: bytes,
    reason: str,
    location: str,
    place: SignaturePlace | None = None,
    field_name: str = FIELD_NAME,
) -> bytes:
    """``pdf`` with a PAdES B-B signature by the key and certificate given, in a new field
    ``field_name`` covering the whole file: visible over the signature block at ``place``,
    invisible without one."""
    certificate = asn1_x509.Certificate.load(_der(certificate_pem))
    key = asn1_keys.PrivateKeyInfo.load(_der(key_pem))
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([certificate]),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    out = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if place is not None:
            # The field first, with an empty appearance stream (PDF/A wants one for every
            # visible widget); the signature then keeps it (NoOpStampStyle) rather than draw
            # a stamp. Both go into the one incremental update the signature covers.
            box = (
                math.floor(place.left),
                math.floor(place.bottom),
                math.ceil(place.right),
                math.ceil(place.top),
            )
            fields.append_signature_field(
                writer, fields.SigFieldSpec(field_name, on_page=place.page - 1, box=box)
            )
        pdf_signer = signers.PdfSigner(meta, signer, stamp_style=NoOpStampStyle())
        pdf_signer.sign_pdf(writer, output=out)
    except (PdfError, SigningError, ValueError) as error:
        raise InputError(f"the letter could not be signed: {error}") from None
    return out.getvalue()


@dataclass(frozen=True)
class SignatureFacts:
    """What a letter's signature says about itself, as pyHanko reads it: whether the signed
    bytes still have the digest signed (``intact``) and the signature verifies with the
    certificate's key (``valid``), whether it covers the whole file (nothing was appended
    after it), the certificate (DER) and the signing time it states."""

    count: int
    intact: bool
    valid: bool
    whole_file: bool
    certificate_der: bytes
    signed_at: datetime | None
    summary: str


def read_signature(pdf: bytes) -> SignatureFacts | None:
    """The facts of the letter's one signature; ``None`` when it has none."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        found = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"the PDF's signatures cannot be read: {error}") from None
    if not found:
        return None
    signature = found[0]
    certificate = signature.signer_cert
    # Trust is the directory's to give (the verifier checks the certificate there): pyHanko is
    # asked only whether the signature holds, with the certificate as its own anchor.
    context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, PdfError, ValueError, KeyError) as error:
        return SignatureFacts(
            len(found), False, False, False, certificate.dump(), None, f"unreadable: {error}"
        )
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    return SignatureFacts(
        count=len(found),
        intact=bool(status.intact),
        valid=bool(status.valid),
        whole_file=whole,
        certificate_der=certificate.dump(),
        signed_at=status.signer_reported_dt,
        summary=status.summary(),
    )
