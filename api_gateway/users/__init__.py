"""The people of a tenant and their roles; the services' internal look-up of users."""
