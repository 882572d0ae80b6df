"""Citizen service requests: categories, routing to district and department, workflow, Open311."""
