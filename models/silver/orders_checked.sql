{{ silver_checked('orders') }}
