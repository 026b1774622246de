"""briefbot's write path: load → clean → chunk → embed → store, incrementally."""
