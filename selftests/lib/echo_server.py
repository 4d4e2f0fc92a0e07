# SPDX-License-Identifier: GPL-2.0
"""echo_server.py PORT...: an echo server on every given port, IPv4 and
IPv6, each connection in a thread, until killed"""
import socket, sys, threading

def serve(c):
    with c:
        while True:
            try:
                b = c.recv(65536)
            except OSError:
                break
            if not b:
                break
            c.sendall(b)

def listen(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

for p in sys.argv[1:]:
    threading.Thread(target=listen, args=(int(p),), daemon=True).start()
threading.Event().wait()
