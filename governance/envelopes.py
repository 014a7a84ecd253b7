"""Sealed envelopes: how a secret ballot keeps a state's choice unlinkable (quality.md T17).

The threat is an insider with read access to the live database, a dump or a replica: the
participation register (``ElectorateEntry``: "this state voted", by whom, when) must not be joinable
to the choices by any ordering, time, transaction id (``xmin``), heap position (``ctid``), identifier,
log line or audit row. A cast writes the register mark and the choice in one transaction (so a vote is
never half-stored), which gives both rows the same ``xmin`` and neighbouring heap positions: the choice
itself therefore must not be readable while it sits next to that mark.

The design:

1. **During the ballot** a cast stores only a sealed envelope (``SealedEnvelope``): the choice and the
   receipt, padded to one fixed length and encrypted with AES-256-GCM under a key derived from the
   deployment's ``SECRET_KEY`` (HKDF, bound to the ballot by the associated data). The envelope row has
   a random UUID key, no state, user or time. The register row can be tied to its envelope (same
   ``xmin``), but the envelope reads as random bytes of one length whatever the choice: nobody with
   the database alone learns a choice, nor a running tally.
2. **At the close**, in the close's single transaction, every envelope is opened, the choices are
   written once into ``SecretChoice`` in the order of their random receipts (a permutation unrelated
   to the order of casting), and the envelopes are deleted. All published choices then share the
   close's ``xmin``, have random UUIDs, carry no time, and sit in the heap in receipt order: nothing
   ties one of them to a register row. The register may keep who cast the state's vote and when
   (rules §1: the co-delegate sees it): that time links to nothing.
3. **Receipts**: each cast returns its receipt to the delegate, and after publication the list of
   receipts with their choices lets each delegation check that its ballot was counted as cast. The
   portal does not keep which receipt a state was given (that pair, with the published list, would be
   the link): the delegate is told to keep it.

Residual risk, stated honestly: someone holding **both** the ``SECRET_KEY`` **and** the database
while the ballot is open (or a copy taken then: a backup, a replica, the WAL archive) can open the
envelopes and pair them with the register. After the close, the deleted envelopes survive only as
dead tuples until VACUUM reuses their space, and in WAL archives: invisible to SQL and absent from
``pg_dump``, but readable with superuser tools (``pageinspect``) or from archived WAL by someone who
also holds the key. Keeping the key away from database administrators, and WAL archives away from
application administrators, closes that gap; a key that no single person holds (threshold
decryption) would close it for good and is not built.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12
CHOICE_WIDTH = 8  # the longest choice ("abstain") padded: every plaintext has the same length


class EnvelopeTampered(Exception):
    """An envelope no longer opens with the ballot's key: it was altered or moved to another ballot."""


@dataclass(frozen=True)
class Opened:
    choice: str
    receipt: str


def _key() -> bytes:
    return _derive(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _derive(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cernai governance secret ballot envelope")
    return hkdf.derive(secret.encode())


def _associated(ballot_id: int) -> bytes:
    return f"ballot:{ballot_id}".encode()


def seal(*, ballot_id: int, choice: str, receipt: str) -> bytes:
    """Encrypt a choice and its receipt for one ballot; the result has the same length for every choice."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    plaintext = choice.ljust(CHOICE_WIDTH).encode() + receipt.encode()
    return nonce + AESGCM(_key()).encrypt(nonce, plaintext, _associated(ballot_id))


def open_envelope(*, ballot_id: int, sealed: bytes | memoryview) -> Opened:
    """Decrypt an envelope of this ballot, or raise EnvelopeTampered."""
    sealed = bytes(sealed)
    try:
        plaintext = AESGCM(_key()).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated(ballot_id))
    except Exception as exc:  # InvalidTag, or a truncated value
        raise EnvelopeTampered from exc
    text = plaintext.decode()
    return Opened(choice=text[:CHOICE_WIDTH].rstrip(), receipt=text[CHOICE_WIDTH:])
