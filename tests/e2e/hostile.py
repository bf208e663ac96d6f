"""Archives that would write outside /share when the runbook's restore extracts them with
`tar -xzvf ... -C /` in a container that mounts the backup directory at /backup: one of each
kind, into the directory named by the first argument. Built with Python's tarfile, whose
TarInfo takes any name, as an attacker's tool would."""

import io
import sys
import tarfile
from pathlib import Path


def entry(name, kind=tarfile.REGTYPE, link="", data=b""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mtime = 1_700_000_000
    info.mode = 0o644
    if kind == tarfile.CHRTYPE:
        info.devmajor, info.devminor = 1, 3
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write(path, entries):
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(*entry("share/", tarfile.DIRTYPE))
        archive.addfile(*entry("share/ansible_vault_password.key", data=b"key\n"))
        for args in entries:
            archive.addfile(*entry(*args))


def main():
    out = Path(sys.argv[1])
    write(out / "absolute.tar.gz", [("/share/x", tarfile.REGTYPE, "", b"x\n")])
    write(out / "dotdot.tar.gz", [("share/../backup/x", tarfile.REGTYPE, "", b"x\n")])
    write(out / "outside.tar.gz", [("etc/cron.d/x", tarfile.REGTYPE, "", b"* * * * * root id\n")])
    write(out / "backup.tar.gz", [("backup/manager-reset-20261202.journal.json", tarfile.REGTYPE, "", b"{}")])
    write(out / "hardlink.tar.gz", [("share/h", tarfile.LNKTYPE, "etc/shadow")])
    write(out / "through-symlink.tar.gz", [
        ("share/l", tarfile.SYMTYPE, "/backup"),
        ("share/l/x", tarfile.REGTYPE, "", b"x\n"),
    ])
    write(out / "device.tar.gz", [("share/null", tarfile.CHRTYPE)])


main()
