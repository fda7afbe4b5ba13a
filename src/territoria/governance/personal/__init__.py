"""Personal data under the GDPR: pseudonymisation at the landing door (``gate``, ``keys``),
consent (``consent``), re-identification (``reident``), retention with a signed erasure record
(``erasure``) and the register of processing activities (``register``). See docs/personal-data.md.
"""
