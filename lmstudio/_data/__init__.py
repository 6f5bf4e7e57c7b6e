"""See shared/design.md, "Layers"."""
