"""What comes back from the providers: stored webhook requests applied by the worker (statuses, inbound
messages) and the customers' replies."""
