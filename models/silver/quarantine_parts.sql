{{ silver_quarantine('parts') }}
