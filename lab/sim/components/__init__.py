"""The component kinds, one per module; `registry.py` finds them (see docs/adding-a-component-kind.md).
Nothing is imported here, so importing `base` or one kind does not import all of them."""
