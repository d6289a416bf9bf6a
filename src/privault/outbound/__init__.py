"""What privault sends out: messages to people (one-time codes, notices) and signed webhooks.

Adapters only: each sends one thing it is handed and reports failure with a stable code; deciding
what to send, and when (after the commit), is the services' job.
"""
