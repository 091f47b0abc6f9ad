"""The topology document: its format, loading, validation and schema."""
