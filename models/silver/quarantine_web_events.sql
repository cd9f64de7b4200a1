{{ silver_quarantine('web_events') }}
