"""Governance applied at publication and at every read: access levels, secrecy, audit."""
