"""People's sessions: access and refresh tokens, logout, who am I; the throttle of failed logins and its alarm."""
