"""Per-home broker identities: Mosquitto password file entries, the ACL, and the repo's own small CA
(broker server certificate, per-home client certificates, revocation list). `hub/cli_security.py` exposes
them as `hub provision-ca`, `provision-hub`, `provision-home` and `revoke-home`."""
