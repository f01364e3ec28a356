"""Data: from a folder or archive to checked, split, decoded samples."""
