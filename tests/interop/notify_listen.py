#!/usr/bin/env python3
"""A stand-in for systemd's notify socket (sd_notify(3), systemd.service(5)
NotifyAccess=): binds an AF_UNIX datagram socket (a path, or an abstract
name written with a leading '@'), takes the sender's credentials from
SCM_CREDENTIALS as systemd does, and appends one line per datagram to OUT:

    PID UID READY-STATE MESSAGE

MESSAGE has its newlines written as '|'. READY-STATE is what CHECK (a shell
command, run right after a datagram with READY=1 arrives) printed, on one
line, or '-' for other datagrams: it proves what was true when the daemon
said it was ready. Exits after SECONDS, or when OUT.stop exists."""
import os, socket, struct, subprocess, sys, time

addr, out, check, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
if not addr.startswith('@'):
    os.chmod(addr, 0o777)        # as /run/systemd/notify: anyone may send
open(out + '.bound', 'w').close()
s.settimeout(0.2)
end = time.time() + seconds
ucred = struct.calcsize('3i')
while time.time() < end and not os.path.exists(out + '.stop'):
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(ucred))
    except socket.timeout:
        continue
    pid = uid = -1
    for level, kind, val in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, uid, _ = struct.unpack('3i', val[:ucred])
    msg = data.decode('utf-8', 'replace')
    state = '-'
    if 'READY=1' in msg.split('\n'):
        r = subprocess.run(['sh', '-c', check], capture_output=True, text=True)
        state = r.stdout.strip().replace('\n', ' ') or 'nothing'
    with open(out, 'a') as f:
        f.write('%d %d %s %s\n' % (pid, uid, state.replace(' ', '_'), msg.replace('\n', '|')))
