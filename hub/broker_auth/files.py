"""Writing the files the broker reads.

docker-compose.yml bind-mounts single files (password file, ACL, CRL, server key) into the broker's
container. A bind mount follows the inode, so replacing a file by rename would leave the broker reading
the old one; these files are therefore rewritten in place, which also keeps an owner an operator gave
them (`chown 1883` for the broker's container user). The broker reads them only at start and on
SIGHUP, after provisioning has finished writing.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600  # private keys: the owner only
RESTRICTED = 0o640  # password hashes: owner and group (the broker's)
PUBLIC = 0o644  # certificates, CRL, ACL


def write_in_place(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path`, keeping the inode when the file exists; `mode` is applied either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, mode)
    try:
        # Restrict before writing, so a secret is never readable under the old mode.
        os.fchmod(descriptor, mode)
        os.ftruncate(descriptor, 0)
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
