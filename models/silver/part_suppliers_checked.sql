{{ silver_checked('part_suppliers') }}
