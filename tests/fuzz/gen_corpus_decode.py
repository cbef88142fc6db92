#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_decode (tests/fuzz/corpus/fuzz_decode/).

Layout of one input (see fuzz_decode.c): 2-byte link type index, then
records of [2-byte length][1-byte flags][frame]. Run from any directory.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_decode")
LINKS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]
SRC4, DST4 = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 53])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000053")
DNS = bytes.fromhex("123401000001000000000000") + b"\x07example\x03com\x00\x00\x01\x00\x01"


def udp(payload, sport=40000, dport=53):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload, flags=0x18):
    return struct.pack(">HHIIBBHHH", 40000, 53, 1000, 2000, 5 << 4, flags, 65535, 0, 0) + \
        struct.pack(">H", len(payload)) + payload


def ip4(proto, l4, ident=0x1234, frag=0x4000, ihl=5):
    opts = b"\x01" * ((ihl - 5) * 4)
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4), ident, frag, 64,
                       proto, 0, SRC4, DST4) + opts + l4


def ip6(nh, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, SRC6, DST6) + payload


def eth(etype, body, tags=()):
    h = b"\x02\x00\x00\x00\x00\x53\x02\x00\x00\x00\x00\x01"
    for tpid in tags:
        h += struct.pack(">HH", tpid, 100)
    return h + struct.pack(">H", etype) + body


def link(lt, ip):
    v6 = (ip[0] >> 4) == 6
    et = 0x86DD if v6 else 0x0800
    if lt == 1:
        return eth(et, ip)
    if lt == 113:
        return struct.pack(">HHH8sH", 0, 1, 6, b"\x02" * 8, et) + ip
    if lt == 276:
        return struct.pack(">HHIHBB8s", et, 0, 2, 1, 0, 6, b"\x02" * 8) + ip
    if lt == 0:
        return struct.pack("<I", 30 if v6 else 2) + ip
    if lt == 108:
        return struct.pack(">I", 24 if v6 else 2) + ip
    return ip


def rec(frame, flags=0):
    return struct.pack(">HB", len(frame), flags) + frame


def write(name, lt, *frames):
    data = struct.pack(">H", LINKS.index(lt))
    for f in frames:
        data += rec(*f) if isinstance(f, tuple) else rec(f)
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def frags4(l4, size, proto=17):
    out = []
    for off in range(0, len(l4), size):
        piece = l4[off:off + size]
        more = 0x2000 if off + size < len(l4) else 0
        out.append(ip4(proto, piece, ident=0x4242, frag=more | (off // 8)))
    return out


def frags6(l4, size, nh=17):
    out = []
    for off in range(0, len(l4), size):
        piece = l4[off:off + size]
        m = 1 if off + size < len(l4) else 0
        fh = struct.pack(">BBHI", nh, 0, off | m, 0xABCD)
        out.append(ip6(44, fh + piece))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    u4, t4 = ip4(17, udp(DNS)), ip4(6, tcp(DNS))
    u6, t6 = ip6(17, udp(DNS)), ip6(6, tcp(DNS))
    for lt in LINKS:
        if lt != 229:
            write(f"udp4_link{lt}", lt, link(lt, u4))
            write(f"tcp4_link{lt}", lt, link(lt, t4))
        if lt != 228:
            write(f"udp6_link{lt}", lt, link(lt, u6))
            write(f"tcp6_link{lt}", lt, link(lt, t6))
    write("eth_vlan", 1, eth(0x0800, u4, (0x8100,)))
    write("eth_qinq", 1, eth(0x86DD, u6, (0x88A8, 0x8100)))
    write("eth_qinq_9100_triple", 1, eth(0x0800, t4, (0x9100, 0x88A8, 0x8100)))
    write("eth_arp", 1, eth(0x0806, b"\x00" * 28))
    write("eth_padding", 1, eth(0x0800, ip4(17, udp(b"")) + b"\x00" * 18))
    write("ip4_options", 101, ip4(17, udp(DNS), ihl=8))
    write("ip4_icmp", 101, ip4(1, b"\x08\x00" + b"\x00" * 6))
    write("snap_truncated", 1, (eth(0x0800, u4)[:60], 1))
    hbh = struct.pack(">BB6s", 60, 0, b"\x01\x04\x00\x00\x00\x00")
    dst = struct.pack(">BB6s", 43, 0, b"\x01\x04\x00\x00\x00\x00")
    rt = struct.pack(">BBBB4s", 51, 0, 0, 0, b"\x00" * 4)
    ah = struct.pack(">BBH4s4s4s", 17, 4, 0, b"\x00" * 4, b"\x00" * 4, b"\x00" * 12)[:24]
    write("ip6_exthdrs", 229, ip6(0, hbh + dst + rt + ah + udp(DNS)))
    write("ip6_esp", 229, ip6(50, b"\x00" * 16))
    write("ip6_atomic_frag", 229, ip6(44, struct.pack(">BBHI", 17, 0, 0, 7) + udp(DNS)))
    big = udp(DNS + bytes(range(256)) * 4)
    f4 = frags4(big, 256)
    write("frag4_in_order", 101, *f4)
    write("frag4_reversed", 101, *reversed(f4))
    write("frag4_dup", 101, f4[0], f4[0], *f4[1:])
    write("frag4_timeout", 101, f4[0], (f4[1], 20), *f4[2:])
    f6 = frags6(big, 512)
    write("frag6_in_order", 229, *f6)
    write("frag6_out_of_order", 229, f6[1], f6[0], *f6[2:])
    write("frag6_tcp", 229, *frags6(tcp(DNS * 10), 128, nh=6))
    write("frag4_many_datagrams", 101, *[ip4(17, udp(b"x" * 16)[:16], ident=i, frag=0x2000) for i in range(8)])


if __name__ == "__main__":
    main()
