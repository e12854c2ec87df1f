"""The conversation flow, free of any UI: the session (send, retry, resend, drop, save), its typed events."""
