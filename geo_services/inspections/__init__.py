"""Field inspections: checklist templates, jobs, inspections sent from tablets, photos, audit trail."""
