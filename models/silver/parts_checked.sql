{{ silver_checked('parts') }}
