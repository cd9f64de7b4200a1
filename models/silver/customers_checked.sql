{{ silver_checked('customers') }}
