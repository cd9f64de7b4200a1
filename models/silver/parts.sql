{{ silver_current(
    'parts',
    unique_key='part_id',
    keys=['part_id'],
    attributes=[
        'part_name',
        'manufacturer',
        'brand',
        'part_type',
        'size',
        'container',
        'retail_price',
        'comment',
    ],
) }}
