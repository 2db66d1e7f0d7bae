"""The torch-free core every layer shares: images and masks (``images``), affine geometry on pixel and model
grids (``geometry``, ``warp``), and the procedural scenes (``scenes``: ShapesBench; ``world``: the broad training
world). It imports numpy and Pillow only, and nothing from the engine, widgets, bench or models."""
