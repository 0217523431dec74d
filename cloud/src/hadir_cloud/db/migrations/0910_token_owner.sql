-- Who made an API token (the portal's token page and `hadir-cloud token create` record it).
ALTER TABLE api_tokens ADD COLUMN created_by text;
