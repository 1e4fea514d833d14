#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Can dpx use net_af_xdp on veth here? Prints "ok", or one line saying why
not, and exits 0 or 1. Used once per test run by tests/lib/harness.sh to
pick the default link (AF_XDP, else TAP).

Checks, in order, without touching any interface (nothing is attached):
  1. DPDK's af_xdp PMD is installed (librte_net_af_xdp.so);
  2. the kernel creates AF_XDP sockets (CONFIG_XDP_SOCKETS, CAP_NET_RAW);
  3. the kernel loads an XDP program (a two-instruction XDP_PASS, loaded
     with bpf(BPF_PROG_LOAD) and closed again: BPF, XDP and the
     privileges for it, CAP_BPF or CAP_SYS_ADMIN);
  4. locked memory: the PMD registers dpx's mbuf pool (tens of MB per
     queue) as AF_XDP UMEM, charged to RLIMIT_MEMLOCK unless the process
     has CAP_IPC_LOCK;
  5. ethtool is installed: the harness turns TX checksum offload off on
     the kernel's end of each veth with it (else dpx drops the kernel's
     TCP segments, whose checksums a NIC was to finish).
usage: af_xdp_check.py [--umem-mb N]   (N: locked memory needed, default 64)
"""
import ctypes
import errno
import glob
import os
import platform
import resource
import shutil
import socket
import struct
import subprocess
import sys

AF_XDP = 44
BPF_PROG_LOAD = 5
BPF_PROG_TYPE_XDP = 6
XDP_PASS = 2
CAP_IPC_LOCK = 14
# bpf(2) is not in Python's os module; its number is per architecture.
SYS_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361,
           "s390x": 351, "armv7l": 386, "i686": 357}


def pmd_installed():
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    if "librte_net_af_xdp.so" in out:
        return True
    return bool(glob.glob("/usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so*") +
                glob.glob("/usr/local/lib*/dpdk/pmds-*/librte_net_af_xdp.so*"))


def xsk_socket():
    try:
        socket.socket(AF_XDP, socket.SOCK_RAW, 0).close()
    except OSError as e:
        if e.errno == errno.EAFNOSUPPORT:
            return "the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)"
        if e.errno == errno.EPERM:
            return "no permission for AF_XDP sockets (needs CAP_NET_RAW)"
        return "AF_XDP socket: " + os.strerror(e.errno)
    return None


def xdp_prog_load():
    nr = SYS_BPF.get(platform.machine())
    if nr is None:
        return None  # cannot tell here; dpx will say at start
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    # r0 = XDP_PASS; exit
    insns = ctypes.create_string_buffer(
        struct.pack("<BBhi", 0xb7, 0, 0, XDP_PASS) +
        struct.pack("<BBhi", 0x95, 0, 0, 0))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(
        struct.pack("<IIQQIIQ", BPF_PROG_TYPE_XDP, 2,
                    ctypes.addressof(insns), ctypes.addressof(lic),
                    0, 0, 0).ljust(128, b"\0"))
    fd = libc.syscall(ctypes.c_long(nr), ctypes.c_long(BPF_PROG_LOAD),
                      attr, ctypes.c_long(128))
    if fd >= 0:
        os.close(fd)
        return None
    err = ctypes.get_errno()
    if err == errno.ENOSYS:
        return "the kernel has no bpf() system call (CONFIG_BPF_SYSCALL)"
    if err == errno.EPERM:
        return ("no permission to load an XDP program (needs CAP_BPF and "
                "CAP_NET_ADMIN, or CAP_SYS_ADMIN)")
    if err == errno.EINVAL:
        return "the kernel does not load XDP programs (CONFIG_XDP, BPF JIT?)"
    return "loading an XDP program failed: " + os.strerror(err)


def has_cap(cap):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> cap & 1)
    return False


def memlock(need_mb):
    if has_cap(CAP_IPC_LOCK):
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if soft != resource.RLIM_INFINITY and soft < need_mb << 20:
        return ("locked-memory limit %d kB is below the ~%d MB the AF_XDP "
                "UMEM needs (ulimit -l, or CAP_IPC_LOCK)" % (soft >> 10, need_mb))
    return None


def ethtool():
    if shutil.which("ethtool") or os.path.exists("/usr/sbin/ethtool"):
        return None
    return "ethtool is missing (bash tools/install-deps.sh)"


def main():
    need_mb = 64
    if len(sys.argv) == 3 and sys.argv[1] == "--umem-mb":
        need_mb = int(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    if not pmd_installed():
        print("DPDK's af_xdp PMD (librte_net_af_xdp.so) is not installed")
        return 1
    for check in (xsk_socket, xdp_prog_load, lambda: memlock(need_mb),
                  ethtool):
        why = check()
        if why:
            print(why)
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
