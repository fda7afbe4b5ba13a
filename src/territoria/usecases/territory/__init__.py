"""The territory pack: communes, boundaries, population and density from the referential."""
