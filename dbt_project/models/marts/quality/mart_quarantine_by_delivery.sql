-- Quarantined rows per delivery month, table and rule, with the share of the table's rows
-- in that delivery (the raw gate fails when a share passes its threshold, docs/quality-gates.md).
with quarantined as (
    select * from {{ ref('fct_quarantined_rows') }}
),

deliveries as (
    select * from {{ ref('stg_platform__deliveries') }}
)

select
    quarantined.delivery_month,
    quarantined.source_table,
    quarantined.rule,
    count(*) as quarantined_rows,
    any_value(deliveries.row_count) as delivered_rows,
    round(count(*) / nullif(any_value(deliveries.row_count), 0), 6) as quarantined_share
from quarantined
left join deliveries
    on
        quarantined.source_table = deliveries.table_key
        and quarantined.delivery_month = deliveries.delivery_month
group by quarantined.delivery_month, quarantined.source_table, quarantined.rule
