#!/usr/bin/env python3
"""mmdb_writer.py - writes tiny MaxMind DB files for the tests (standard
library only), after the MaxMind DB File Format Specification 2.0:
a binary search tree (24-bit records), 16 zero bytes, a data section of
typed values, then the metadata marker and map.

usage: mmdb_writer.py OUT DATABASE_TYPE [--ipv4] NETWORK=JSON...
  NETWORK  an IPv4 or IPv6 CIDR; IPv4 networks sit at ::a.b.c.d/96+len in an
           IPv6 tree (as in GeoLite2), or at the root with --ipv4
  JSON     the record: objects become maps, strings UTF-8 strings, integers
           uint32 (uint64 when larger), true/false booleans, lists arrays,
           floats doubles
Networks are inserted shortest first, so more specific ones win.
"""
import ipaddress
import json
import struct
import sys
import time

T_POINTER, T_UTF8, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_INT32, T_UINT64, T_UINT128, T_ARRAY, T_BOOLEAN = 8, 9, 10, 11, 14
RECORD_SIZE = 24
METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"


def control(type_, size):
    """Control byte(s) for a field of type_ with size (length or count)."""
    if size < 29:
        first, ext = size, b""
    elif size < 29 + 256:
        first, ext = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, ext = 30, struct.pack(">H", size - 285)
    else:
        first, ext = 31, struct.pack(">I", size - 65821)[1:]
    if type_ <= 7:
        return bytes([(type_ << 5) | first]) + ext
    return bytes([first, type_ - 7]) + ext


def uint_bytes(v):
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


def encode(value, type_hint=None):
    if isinstance(value, bool):
        return control(T_BOOLEAN, 1 if value else 0)
    if isinstance(value, dict):
        out = control(T_MAP, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, list):
        out = control(T_ARRAY, len(value))
        for v in value:
            out += encode(v)
        return out
    if isinstance(value, str):
        b = value.encode("utf-8")
        return control(T_UTF8, len(b)) + b
    if isinstance(value, float):
        return control(T_DOUBLE, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative integers are not supported")
        t = type_hint or (T_UINT32 if value < 2**32 else T_UINT64)
        b = uint_bytes(value)
        return control(t, len(b)) + b
    raise ValueError("cannot encode %r" % (value,))


class Node:
    __slots__ = ("children", "index")

    def __init__(self, left=None, right=None):
        self.children = [left, right]
        self.index = -1


def insert(root, bits, width, plen, data):
    node = root
    for i in range(plen):
        bit = (bits >> (width - 1 - i)) & 1
        if i == plen - 1:
            node.children[bit] = data
            return
        child = node.children[bit]
        if not isinstance(child, Node):
            child = Node(child, child)  # push the covering data down
            node.children[bit] = child
        node = child


def build(path, db_type, networks, ipv4_only):
    width = 32 if ipv4_only else 128
    root = Node()
    parsed = []
    for net_text, record in networks:
        net = ipaddress.ip_network(net_text, strict=True)
        if net.version == 4 and not ipv4_only:
            bits, plen = int(net.network_address), 96 + net.prefixlen
        elif net.version == 6 and ipv4_only:
            raise SystemExit("IPv6 network %s in an --ipv4 database" % net_text)
        else:
            bits, plen = int(net.network_address), net.prefixlen
        if plen == 0:
            raise SystemExit("a /0 network is not supported")
        parsed.append((plen, bits, encode(record)))
    for plen, bits, data in sorted(parsed, key=lambda x: x[0]):
        insert(root, bits, width, plen, ("data", data))

    nodes, queue = [], [root]
    while queue:  # breadth first: root is node 0
        n = queue.pop(0)
        n.index = len(nodes)
        nodes.append(n)
        queue.extend(c for c in n.children if isinstance(c, Node))
    node_count = len(nodes)

    data_section, offsets = b"", {}
    for n in nodes:
        for c in n.children:
            if isinstance(c, tuple) and c[1] not in offsets:
                offsets[c[1]] = len(data_section)
                data_section += c[1]

    def record(c):
        if c is None:
            return node_count
        if isinstance(c, Node):
            return c.index
        return node_count + 16 + offsets[c[1]]

    tree = b""
    for n in nodes:
        for c in n.children:
            tree += struct.pack(">I", record(c))[1:]

    metadata = {
        "binary_format_major_version": 2,
        "binary_format_minor_version": 0,
        "build_epoch": int(time.time()),
        "database_type": db_type,
        "description": {"en": "dcvscope test database"},
        "ip_version": 4 if ipv4_only else 6,
        "languages": ["en"],
        "node_count": node_count,
        "record_size": RECORD_SIZE,
    }
    meta = control(T_MAP, len(metadata))
    for k, v in metadata.items():
        meta += encode(k)
        if k in ("binary_format_major_version", "binary_format_minor_version", "ip_version",
                 "record_size"):
            meta += encode(v, T_UINT16)
        elif k == "build_epoch":
            meta += encode(v, T_UINT64)
        else:
            meta += encode(v)
    with open(path, "wb") as f:
        f.write(tree + b"\0" * 16 + data_section + METADATA_MARKER + meta)


def main(argv):
    args = argv[1:]
    ipv4_only = "--ipv4" in args
    args = [a for a in args if a != "--ipv4"]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    out, db_type = args[0], args[1]
    networks = []
    for spec in args[2:]:
        net, _, js = spec.partition("=")
        networks.append((net, json.loads(js)))
    build(out, db_type, networks, ipv4_only)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
