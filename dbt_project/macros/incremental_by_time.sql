{#- The linkage, incremental from a moment (docs/incremental-refresh.md): a plan's steps 1-4
    depend on its own person's stays that start no later than it is sent, and on the plans
    of the same person, sender and day; step 5 and the window depend on the plans whose
    nearest stay is the stay. So plans sent before the earliest changed moment keep their
    steps 1-4, and the stays that no relinked plan can reach keep their step 5
    (int_linkage__relinked_from says from when). -#}

{#- A filter on a model's rows or its input's: those relinked, by `column` against `bound`
    of int_linkage__relinked_from (plans_from or stays_from). -#}
{% macro relinked(column, bound) -%}
    {{ column }} >= (select {{ bound }} from {{ ref('int_linkage__relinked_from') }})
{%- endmacro %}

{#- The pre-hook: drop the rows that the model selects again. -#}
{% macro delete_relinked(column, bound) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ relinked(column, bound) }}
    {%- endif -%}
{%- endmacro %}
