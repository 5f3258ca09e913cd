"""Messaging: templates and delivery over email, SMS and WhatsApp."""
