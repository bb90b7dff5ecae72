"""TON addresses the simulated chain hands out: user-friendly form, testnet, valid CRC."""
import base64
import binascii
import random

from mockserver.core.chain.transfers import network


def test_ton_addresses_are_testnet_non_bounceable_with_a_valid_crc():
    rng = random.Random(7)
    for _ in range(50):
        address = network("ton").make_address(rng)
        assert len(address) == 48 and address.startswith("0Q")
        raw = base64.urlsafe_b64decode(address)
        assert raw[0] == 0xD1 and raw[1] == 0x00  # testnet | non-bounceable, basechain
        # binascii.crc_hqx with initial value 0 is CRC16-XMODEM, written independently of the sandbox
        assert binascii.crc_hqx(raw[:34], 0) == int.from_bytes(raw[34:], "big")


def test_toncoin_alias():
    assert network("toncoin") is network("ton")
