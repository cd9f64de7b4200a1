{{ silver_quarantine('part_suppliers') }}
