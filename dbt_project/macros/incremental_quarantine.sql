{#- The quarantine (fct_quarantined_rows), incremental by delivery month
    (docs/incremental-refresh.md). A row rule on a row's own values is judged again for the
    pending months only. An orphan is a row whose parent (its contact or course) is in no
    loaded month: a new month can give an orphan of an earlier month its parent, and only a
    replaced month of a parent table can take one away (contract.PARENT_TABLES). So an
    incremental refresh drops the pending months' rows and the orphans whose parent a
    pending month brought, and judges the pending months; after a replaced parent month it
    judges everything again. -#}

{% macro quarantine_is_partial() -%}
    {{ return(is_incremental() and not var('gop_parents_replaced', false)) }}
{%- endmacro %}

{#- A rule's filter on its rows' delivery month: the pending months on a partial build. -#}
{% macro judged_month(column) -%}
    {%- if quarantine_is_partial() -%}
        {{ column }} in {{ pending_months_list() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Pre-hooks: what a build selects again is dropped first. -#}
{% macro delete_judged_again() -%}
    {%- if quarantine_is_partial() -%}
        delete from {{ this }} where delivery_month in {{ pending_months_list() }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- An orphan of `source_table` whose parent (in `parent`, by `parent_key`, reached from
    the child row's `child_key` in `child`) came with a pending month; `child_condition`
    narrows the child rows to those that rule reaches that way. -#}
{% macro delete_given_parent(source_table, child, child_key, parent, parent_key,
                             child_condition='true') -%}
    {%- if quarantine_is_partial() -%}
        delete from {{ this }}
        using {{ ref(child) }} as child, {{ ref(parent) }} as parent
        where
            {{ this }}.rule = 'orphan_key'
            and {{ this }}.source_table = '{{ source_table }}'
            and child.source_file = {{ this }}.source_file
            and child.source_row = {{ this }}.source_row
            and ({{ child_condition }})
            and parent.{{ parent_key }} = child.{{ child_key }}
            and parent.delivery_month in {{ pending_months_list() }}
    {%- endif -%}
{%- endmacro %}
