"""Amanah: GIS-based field operations for municipalities (the Django project and its domain apps)."""
