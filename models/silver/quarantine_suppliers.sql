{{ silver_quarantine('suppliers') }}
