"""Running as several processes: leases that only one process holds at a time, and the supervisor
of ``helpdesk run --workers N``."""
