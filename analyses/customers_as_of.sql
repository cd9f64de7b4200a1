-- Time travel: the customers as they were at a source time (between two changes of day 3).
-- Compile with `dbt compile --select customers_as_of` or run with
-- `lakehouse time-travel --table customers_history --as-of '1998-08-05 12:00'`.
select *
from {{ as_of(ref('customers_history'), "timestamp '1998-08-05 12:00:00'") }} as customers
order by customer_id
