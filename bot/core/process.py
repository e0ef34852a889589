"""Who this process is, in leases and delivery attempts."""

from __future__ import annotations

import os
import socket
import uuid


def process_name() -> str:
    """Host, process id and a random suffix (a restarted process is another one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
