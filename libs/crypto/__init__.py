"""Envelope encryption (AES-256-GCM data keys wrapped by a key-encryption key) for sensitive data.

    keks = LocalKeks.parse(own.kek)  # "kid:base64(32 bytes),..." from settings; the first is active
    wrapped = await keks.wrap(dek, context=b"data-key:3")             # or any KeyWrapper (a KMS adapter)
    keys = DataKeys(keks); keys.load([StoredKey(version=3, kek_id=..., wrapped=...), ...], active=3)
    blob = await keys.encrypt(b"metformin 500 mg", aad=b"prescriptions/rx-1/contents")
    await keys.decrypt(blob, aad=b"prescriptions/rx-1/contents")      # any version still held decrypts

Rules (NIST SP 800-38D, DOMAIN-REFERENCES §9): a random 96-bit nonce per message, the data's place bound as
associated data so a ciphertext cannot be moved to another row, keys never logged (`repr` hides them),
unwrapped data keys only in memory. Rotation activates a new data-key version; old versions keep decrypting
until a background re-wrap has moved their data (`blob_version` says which version a blob needs).
"""

from libs.crypto.envelope import (
    DataKeys,
    DecryptionFailed,
    KeyWrapper,
    LocalKeks,
    StoredKey,
    blob_version,
    new_data_key,
)
from libs.crypto.files import decrypt_file, encrypt_file

__all__ = [
    "DataKeys",
    "DecryptionFailed",
    "KeyWrapper",
    "LocalKeks",
    "StoredKey",
    "blob_version",
    "decrypt_file",
    "encrypt_file",
    "new_data_key",
]
