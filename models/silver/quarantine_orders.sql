{{ silver_quarantine('orders') }}
