{#- Monthly staging tables, incremental by delivery month (docs/incremental-refresh.md). A
    load replaces whole delivery months of a raw table, so a staging row depends on its own
    raw row only: an incremental refresh drops the pending months' rows (the months loaded
    since the last complete refresh, var gop_pending_months) and selects those months from
    the source again. Tables, not views: every model above reads the keys trimmed once, not
    on each read of seven years (docs/incremental-refresh.md). -#}

{#- The pending months as an SQL list, never empty (an empty `in ()` is no SQL). -#}
{% macro pending_months_list() -%}
    ('{{ var("gop_pending_months", []) | join("', '") }}')
{%- endmacro %}

{#- In the `source` import CTE of a monthly staging model: on an incremental refresh, only
    the pending months' raw rows. -#}
{% macro only_pending_months() -%}
    {%- if is_incremental() %}
    where _delivery_month in {{ pending_months_list() }}
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of a monthly staging model: drop the pending months' rows. -#}
{% macro delete_pending_months() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where delivery_month in {{ pending_months_list() }}
    {%- endif -%}
{%- endmacro %}
