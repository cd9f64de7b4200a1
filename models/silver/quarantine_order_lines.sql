{{ silver_quarantine('order_lines') }}
