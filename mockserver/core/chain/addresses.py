"""Address encoders for the simulated chains: real checksums, testnet shapes.

bech32 (BIP-173), CashAddr (BCH), Base58Check (Bitcoin and Ripple alphabets), TON user-friendly
(base64url with CRC16-XMODEM). Written out here
because they are a few lines each and no well-kept pure-Python package covers all of them.
"""
from __future__ import annotations

import base64
import functools
import hashlib

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_RIPPLE = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def _convertbits(data: bytes, frombits: int, tobits: int, pad: bool = True) -> list[int]:
    if frombits == 8:   # bytes: the whole number at once, then one shift per output group
        acc, bits = int.from_bytes(data, "big"), 8 * len(data)
        rest = bits % tobits
        if rest and pad:
            acc, bits = acc << (tobits - rest), bits + tobits - rest
        elif rest:
            acc, bits = acc >> rest, bits - rest
        maxv = (1 << tobits) - 1
        return [(acc >> shift) & maxv for shift in range(bits - tobits, -1, -tobits)]
    acc, bits, out, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def _generator_table(gen: list[int]) -> list[int]:
    """For each 5-bit top value, the XOR of the generators its bits select: one look-up per
    symbol instead of five tests (an address is made per invoice and per payment)."""
    return [_xor(g for i, g in enumerate(gen) if (top >> i) & 1) for top in range(32)]


def _xor(values) -> int:
    out = 0
    for value in values:
        out ^= value
    return out


_BECH32_GEN = _generator_table([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3])
_CASHADDR_GEN = _generator_table([0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470])


def _bech32_polymod(values: list[int], chk: int = 1) -> int:
    table = _BECH32_GEN
    for v in values:
        chk = ((chk & 0x1FFFFFF) << 5 ^ v) ^ table[chk >> 25]
    return chk


@functools.lru_cache(maxsize=64)
def _hrp_state(hrp: str) -> int:
    """The checksum state after the expanded human-readable part: the same for every address."""
    return _bech32_polymod([ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp])


def bech32_encode(hrp: str, data5: list[int]) -> str:
    polymod = _bech32_polymod(data5 + [0] * 6, _hrp_state(hrp)) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(map(_BECH32.__getitem__, data5 + checksum))


def segwit_address(hrp: str, program: bytes) -> str:
    """P2WPKH/P2WSH v0 address (bech32)."""
    return bech32_encode(hrp, [0] + _convertbits(program, 8, 5))


def _cashaddr_polymod(values: list[int]) -> int:
    table, chk = _CASHADDR_GEN, 1
    for d in values:
        chk = (((chk & 0x07FFFFFFFF) << 5) ^ d) ^ table[chk >> 35]
    return chk ^ 1


def cashaddr(prefix: str, hash160: bytes) -> str:
    """BCH CashAddr, P2PKH (version byte 0)."""
    payload = _convertbits(bytes([0]) + hash160, 8, 5)
    mod = _cashaddr_polymod([ord(c) & 31 for c in prefix] + [0] + payload + [0] * 8)
    checksum = [(mod >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(_BECH32[d] for d in payload + checksum)


_B58_PAIRS: dict[str, list[str]] = {}   # alphabet -> the 58*58 two-digit strings


def base58(data: bytes, alphabet: str = _B58) -> str:
    # two digits per step (half the Python-level iterations: an address is made per invoice)
    pairs = _B58_PAIRS.get(alphabet)
    if pairs is None:
        pairs = _B58_PAIRS[alphabet] = [a + b for a in alphabet for b in alphabet]
    num = int.from_bytes(data, "big")
    digits = []
    while num:
        num, rem = divmod(num, 3364)
        digits.append(pairs[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * pad + "".join(reversed(digits)).lstrip(alphabet[0])


def base58check(version: bytes, payload: bytes, alphabet: str = _B58) -> str:
    raw = version + payload
    checksum = hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    return base58(raw + checksum, alphabet)


def ripple_address(account_id: bytes) -> str:
    return base58check(b"\x00", account_id, _B58_RIPPLE)


def _crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def ton_address(account_hash: bytes, workchain: int = 0, *, bounceable: bool = False,
                testnet: bool = True) -> str:
    """TON user-friendly address: tag, workchain, 32-byte account id, CRC16-XMODEM, base64url.
    Testnet non-bounceable (how wallets show deposit addresses) starts with "0Q"."""
    tag = (0x11 if bounceable else 0x51) | (0x80 if testnet else 0)
    raw = bytes([tag, workchain & 0xFF]) + account_hash
    return base64.urlsafe_b64encode(raw + _crc16_xmodem(raw).to_bytes(2, "big")).decode()
