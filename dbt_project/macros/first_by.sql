{#- The value of the row that sorts first by (order_by, then_by): an aggregate. DuckDB's
    arg_min over a row value; Spark's min_by over a struct (the same models are to run
    there, docs/stack.md, "Apache Spark"). Used where ties of the first key must be broken by a second, as the LPR3 stay
    key (docs: the smallest contact key among the contacts that start the stay). -#}
{% macro first_by(value, order_by, then_by) -%}
    {{ return(adapter.dispatch('first_by')(value, order_by, then_by)) }}
{%- endmacro %}

{% macro default__first_by(value, order_by, then_by) -%}
    arg_min({{ value }}, ({{ order_by }}, {{ then_by }}))
{%- endmacro %}

{% macro spark__first_by(value, order_by, then_by) -%}
    min_by({{ value }}, struct({{ order_by }}, {{ then_by }}))
{%- endmacro %}
