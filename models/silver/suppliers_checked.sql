{{ silver_checked('suppliers') }}
