"""WFS 2.0 connector."""
