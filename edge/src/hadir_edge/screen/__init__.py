"""The kiosk's screen: a live camera loop and the local web page Chromium shows."""
