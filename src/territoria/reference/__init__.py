"""The national referential shipped with the package: communes, EPCIs, boundaries, vintages."""

from territoria.reference.referential import Commune, Epci, Referential, referential

__all__ = ["Commune", "Epci", "Referential", "referential"]
