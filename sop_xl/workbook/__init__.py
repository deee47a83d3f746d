"""The S&OP workbook: its schema, the template builder, and the gateway the cycle reads and
writes through (openpyxl on a file now; an xlwings live book later, with the same methods)."""
