"""What the write path (indexing) and the read path (bot) share: settings, errors, types."""
