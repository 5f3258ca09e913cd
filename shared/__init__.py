"""The project's own common library: what two services or more really share."""
