"""Gradio's own texts of its tables (its i18n keys `dataframe.*`) that it lacks in Spanish: a column's filter menu and
why a file dropped on an editable table (the Learn tab's) cannot be imported. English is gradio's own, repeated so
that both tables have each key. (Gradio's own translations win over an app's for the keys it has, so these only fill
its gaps.)"""

EN = {
    "dataframe.import_empty_file": "The dropped file is empty.",
    "dataframe.import_no_column_names": "The dropped file has no column names.",
    "dataframe.import_ragged_row": "Line {line} of the file has {fields} fields, the header has {columns}.",
    "dataframe.import_static_columns": "Cannot import into a table with read-only columns.",
    "dataframe.import_fixed_columns": "This table takes exactly {expected} columns, the file has {actual}.",
    "dataframe.import_fixed_rows": "This table takes exactly {expected} rows, the file has {actual}.",
    "dataframe.filter": "Filter",
    "dataframe.clear_filter": "Clear filters",
}
ES = {
    "dataframe.import_empty_file": "El archivo está vacío.",
    "dataframe.import_no_column_names": "El archivo no tiene nombres de columna.",
    "dataframe.import_ragged_row": "La línea {line} del archivo tiene {fields} campos y la cabecera tiene {columns}.",
    "dataframe.import_static_columns": "No se puede importar en una tabla con columnas de solo lectura.",
    "dataframe.import_fixed_columns": "Esta tabla admite exactamente {expected} columnas y el archivo tiene {actual}.",
    "dataframe.import_fixed_rows": "Esta tabla admite exactamente {expected} filas y el archivo tiene {actual}.",
    "dataframe.filter": "Filtrar",
    "dataframe.clear_filter": "Quitar los filtros",
}
