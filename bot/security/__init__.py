"""Security: incidents recognised in every message, secrets and personal data redacted."""
