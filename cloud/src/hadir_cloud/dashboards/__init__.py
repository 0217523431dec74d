"""The leaders' board in the portal: presence by OPD now, the month's discipline, LKH
completion and the performance quadrants, with drill-down OPD → unit → person.

`quadrants` (the predicate/quadrant rule as data, pydantic), `domain` (pure: ratings read from
a sheet, placed in the matrix, counted), `store` (SQL on the boards' views of migrations
1200–1220), `views` (the blueprint `dashboards`), `cli` (`hadir-cloud kinerja`).
"""
