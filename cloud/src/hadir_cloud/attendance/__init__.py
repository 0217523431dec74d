"""The attendance area: daily statuses, an employee's own month, recaps (views and domain)."""
