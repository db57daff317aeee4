{#- Rows where a boolean SQL expression does not hold (dbt_utils has the same test; dbt
    packages would need the network at `dbt deps`, docs/stack.md). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}
