{{ silver_current(
    'customers',
    unique_key='customer_id',
    keys=['customer_id', 'nation_id'],
    attributes=[
        'customer_name',
        'address',
        'phone',
        'account_balance',
        'market_segment',
        'comment',
    ],
    technical=['_lsn'],
) }}
