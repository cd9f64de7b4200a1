{{ silver_quarantine('customers') }}
