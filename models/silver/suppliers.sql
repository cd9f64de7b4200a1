{{ silver_current(
    'suppliers',
    unique_key='supplier_id',
    keys=['supplier_id', 'nation_id'],
    attributes=['supplier_name', 'address', 'phone', 'account_balance', 'comment'],
) }}
