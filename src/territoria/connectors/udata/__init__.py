"""data.gouv.fr (udata) connector."""
