"""NTAG 424 DNA SUN verification against NXP's published example and tampered messages."""

from __future__ import annotations

import pytest

from subgraphs.measurement import sun

# AN12196 ("NTAG 424 DNA and NTAG 424 DNA TagTamper features and hints"), SUN example with all-zero keys.
AN12196_URL = (
    "https://sdm.nfcdeveloper.com/tag?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086"
)
KEY = bytes(range(16))


def test_nxp_example_decrypts_and_verifies() -> None:
    assert sun.verify(bytes(16), AN12196_URL) == sun.SunReading(uid="04DE5F1EACC040", counter=61)


def test_round_trip_of_a_simulated_tag() -> None:
    msg = sun.encode(KEY, "04a1b2c3d4e5f6", 0x010203, padding=bytes.fromhex("1122334455"))
    assert sun.verify(KEY, msg) == sun.SunReading(uid="04A1B2C3D4E5F6", counter=0x010203)


def test_flipped_mac_bit_is_refused() -> None:
    msg = sun.encode(KEY, "04A1B2C3D4E5F6", 7)
    picc, mac = msg.split("&cmac=")
    forged = f"{picc}&cmac={int(mac, 16) ^ 1:016X}"
    with pytest.raises(sun.SunError, match="MAC"):
        sun.verify(KEY, forged)


def test_other_lot_key_is_refused() -> None:
    msg = sun.encode(KEY, "04A1B2C3D4E5F6", 7)
    with pytest.raises(sun.SunError):
        sun.verify(bytes(16), msg)


def test_changed_counter_with_old_mac_is_refused() -> None:
    # Re-encrypting a higher counter without the key-derived MAC must fail: the MAC binds UID and counter.
    old = sun.encode(KEY, "04A1B2C3D4E5F6", 7)
    new = sun.encode(KEY, "04A1B2C3D4E5F6", 8)
    spliced = new.split("&cmac=")[0] + "&cmac=" + old.split("&cmac=")[1]
    with pytest.raises(sun.SunError, match="MAC"):
        sun.verify(KEY, spliced)


@pytest.mark.parametrize(
    "bad", ["", "picc_data=XYZ&cmac=00", "cmac=94EED9EE65337086", "picc_data=" + "0" * 32]
)
def test_malformed_messages(bad: str) -> None:
    with pytest.raises(sun.SunError):
        sun.verify(KEY, bad)
