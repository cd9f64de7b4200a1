{{ silver_current(
    'orders',
    unique_key='order_id',
    keys=['order_id', 'customer_id'],
    attributes=[
        'order_status',
        'total_price',
        'order_date',
        'order_priority',
        'clerk',
        'ship_priority',
        'comment',
    ],
    technical=['_lsn'],
) }}
