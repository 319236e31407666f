#!/usr/bin/env python3
"""Delays packets the way `tc qdisc ... netem delay D J` does, for kernels built without netem.

Runs inside one network namespace (`ip netns exec NS python3 nfqueue_delay.py QUEUE MAXLEN`).
iptables rules there send packets to NFQUEUE number QUEUE; this holds each one for the current
delay plus a uniform jitter and then lets it go on (NF_ACCEPT). Packets with different jitter
overtake each other, as with netem. Standard library only: the nfnetlink_queue protocol is spoken
over a plain AF_NETLINK socket.

Standard input sets the delay: a line "DELAY_MS JITTER_MS" (0 0 lets packets through at once).
End of file (the test JVM closed the pipe or died) ends the process.

Bounds: the kernel holds at most MAXLEN packets for this queue and drops (and counts, in
/proc/net/netfilter/nfnetlink_queue: queue_dropped, user_dropped) beyond it, as netem's `limit`
does; this process holds only what the kernel queued, so no more than MAXLEN either. It prints
"delay D J" on every change and a "released N overflow N gone N" line when it ends ("gone":
packets the kernel dropped from the queue because the rule that queued them was replaced, as
removing a netem qdisc drops what it holds).
"""
import errno
import heapq
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_ACCEPT = 1


def attr(kind, payload):
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * (-size % 4)


def message(msg_type, queue, attrs, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags,
                         seq, 0)
    return header + body


def attributes(data):
    out, i = {}, 0
    while i + 4 <= len(data):
        size, kind = struct.unpack_from("=HH", data, i)
        if size < 4:
            break
        out[kind & 0x3FFF] = data[i + 4:i + size]
        i += (size + 3) & ~3
    return out


def main():
    queue, maxlen = int(sys.argv[1]), int(sys.argv[2])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.send(message(NFQNL_MSG_CONFIG, queue,
                      [attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0))],
                      NLM_F_REQUEST | NLM_F_ACK, 1))
    sock.send(message(NFQNL_MSG_CONFIG, queue,
                      [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
                       attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen))],
                      NLM_F_REQUEST | NLM_F_ACK, 2))
    acks = 0
    held = []  # (release time, arrival order, packet id)
    delay = jitter = 0.0
    arrivals = released = overflow = gone = 0
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select([sock, sys.stdin], [], [], timeout)
        if sys.stdin in ready:
            line = sys.stdin.readline()
            if not line:
                break
            d, j = line.split()
            delay, jitter = float(d) / 1000, float(j) / 1000
            print("delay", d, j, flush=True)
        if sock in ready:
            try:
                data = sock.recv(1 << 16)
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                overflow += 1  # the kernel counts the packets lost with it (user_dropped)
                data = b""
            i = 0
            while i + 16 <= len(data):
                size, kind, _, seq = struct.unpack_from("=IHHI", data, i)
                if kind == NLMSG_ERROR:
                    error = struct.unpack_from("=i", data, i + 16)[0]
                    if seq == 0:
                        # A verdict (seq 0) for a packet the kernel no longer holds (ENOENT): its
                        # rule was replaced meanwhile, which drops what the old rule had queued.
                        gone += 1
                    elif error:
                        print("nfqueue configuration failed: errno", -error, flush=True)
                        sys.exit(1)
                    else:
                        acks += 1
                        if acks == 2:
                            print("bound to queue", queue, flush=True)
                elif kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    packet_id = struct.unpack("!I", attributes(data[i + 20:i + size])[NFQA_PACKET_HDR][:4])[0]
                    arrivals += 1
                    wait = max(0.0, delay + random.uniform(-jitter, jitter))
                    heapq.heappush(held, (time.monotonic() + wait, arrivals, packet_id))
                i += (size + 3) & ~3
        now = time.monotonic()
        while held and held[0][0] <= now:
            packet_id = heapq.heappop(held)[2]
            sock.send(message(NFQNL_MSG_VERDICT, queue,
                              [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))]))
            released += 1
    print("released", released, "overflow", overflow, "gone", gone, flush=True)


if __name__ == "__main__":
    main()
