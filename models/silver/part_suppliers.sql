{{ silver_current(
    'part_suppliers',
    unique_key=['part_id', 'supplier_id'],
    keys=['part_id', 'supplier_id'],
    attributes=['available_quantity', 'supply_cost', 'comment'],
) }}
